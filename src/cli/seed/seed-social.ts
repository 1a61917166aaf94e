import { retryWhileBusy } from './seed-library.ts';
import { AUDIENCE_TAG_NAMES, tagId, type SocialPlan } from './social-plan.ts';
import type { SocialSeedRepository } from './social-seed.repository.ts';

const BATCH = 500;
/** Feed entries are written for this many authors per statement (a hub's posts reach 2,000 feeds each). */
const AUTHORS_PER_FEED_BATCH = 100;

interface SocialCounts {
  members: number;
  connections: number;
  posts: number;
  comments: number;
}

/** What the plan holds, and how much of it (and of the feed entries) this run wrote. */
export interface SocialOutcome {
  planned: SocialCounts;
  created: SocialCounts & { feedEntries: number };
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/**
 * Writes the plan's graph for the hubs (existing accounts) in batches: members (with the hubs' password hash, so
 * every seeded account signs in with the same password), connections, audience tags, posts, comments, then the
 * feed entries the fan-out job would have written. Rows a previous seed made are left as they are.
 */
export async function seedSocial(
  repository: SocialSeedRepository,
  plan: SocialPlan,
  options: {
    now: Date;
    passwordHash: string;
    onProgress: (done: number, total: number, step: string) => void;
  },
): Promise<SocialOutcome> {
  const at = (ageMinutes: number) => new Date(options.now.getTime() - ageMinutes * 60_000);
  const people = [...plan.hubs, ...plan.members.map((m) => m.email)];
  const steps = [
    plan.members.length,
    plan.connections.length * 2,
    people.length * AUDIENCE_TAG_NAMES.length,
    plan.connectionTags.length,
    plan.posts.length,
    plan.comments.length,
    people.length,
  ];
  const total = steps.reduce((a, b) => a + b, 0);
  let done = 0;
  const run = async <T>(step: string, rows: T[], write: (batch: T[]) => Promise<number>, size = BATCH) => {
    let created = 0;
    for (const batch of chunks(rows, size)) {
      created += await retryWhileBusy(() => write(batch));
      done += batch.length;
      options.onProgress(done, total, `social: ${step}`);
    }
    return created;
  };

  const members = await run('members', plan.members, (b) => repository.insertUsers(b, options.passwordHash));
  const ids = new Map<string, string>();
  for (const batch of chunks(people, BATCH)) {
    for (const [email, id] of await retryWhileBusy(() => repository.idsByEmail(batch))) ids.set(email, id);
  }
  const id = (email: string) => {
    const found = ids.get(email);
    if (!found) throw new Error(`seeded user ${email} is missing`);
    return found;
  };

  const directed = plan.connections.flatMap(({ a, b, ageMinutes }) => [
    { userId: id(a), peerId: id(b), createdAt: at(ageMinutes) },
    { userId: id(b), peerId: id(a), createdAt: at(ageMinutes) },
  ]);
  const connections = await run('connections', directed, (b) => repository.insertConnections(b));
  const tags = people.flatMap((owner) =>
    AUDIENCE_TAG_NAMES.map((name) => ({
      id: tagId(owner, name),
      ownerId: id(owner),
      name,
      createdAt: options.now,
    })),
  );
  await run('audience tags', tags, (b) => repository.insertAudienceTags(b));
  const labels = plan.connectionTags.map((t) => ({
    ownerId: id(t.owner),
    peerId: id(t.peer),
    tagId: tagId(t.owner, t.tag),
  }));
  await run('connection tags', labels, (b) => repository.insertConnectionTags(b));
  const posts = await run(
    'posts',
    plan.posts.map((p) => ({
      id: p.id,
      authorId: id(p.author),
      body: p.body,
      tagIds: p.tags.map((name) => tagId(p.author, name)),
      createdAt: at(p.ageMinutes),
    })),
    (b) => repository.insertPosts(b),
  );
  const comments = await run(
    'comments',
    plan.comments.map((c) => ({ ...c, authorId: id(c.author), createdAt: at(c.ageMinutes) })),
    (b) => repository.insertComments(b),
  );
  const feedEntries = await run(
    'feed entries',
    people.map(id),
    (b) => repository.insertFeedEntries(b),
    AUTHORS_PER_FEED_BATCH,
  );
  options.onProgress(total, total, 'social: done');

  return {
    planned: {
      members: plan.members.length,
      connections: plan.connections.length,
      posts: plan.posts.length,
      comments: plan.comments.length,
    },
    created: { members, connections: connections / 2, posts, comments, feedEntries },
  };
}
