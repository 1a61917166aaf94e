import { createHash } from 'node:crypto';
import type { Scale } from './seed-plan.ts';
import { TOPICS } from './topics.ts';

/**
 * The social graph of a scale. The first demo users are hubs with a fixed number of connections (so benchmarks
 * can pick a user with ~10, ~200 or ~2,000); the other people are members `member0001@example.com`… linked to
 * their ring neighbours, each posting now and then over the last weeks.
 */
interface SocialSpec {
  members: number;
  /** Connections of demo1, demo2, demo3…: all with members. */
  hubConnections: number[];
  /** Each member is connected to this many members after it (and as many before it). */
  ringNeighbours: number;
  memberPosts: number;
  hubPosts: number;
  weeks: number;
}

export const SOCIAL_SPECS: Record<Scale, SocialSpec> = {
  small: {
    members: 40,
    hubConnections: [30, 12, 4],
    ringNeighbours: 2,
    memberPosts: 2,
    hubPosts: 12,
    weeks: 4,
  },
  medium: {
    members: 2000,
    hubConnections: [2000, 200, 10],
    ringNeighbours: 3,
    memberPosts: 3,
    hubPosts: 40,
    weeks: 8,
  },
  large: {
    members: 3000,
    hubConnections: [2000, 200, 10],
    ringNeighbours: 4,
    memberPosts: 4,
    hubPosts: 60,
    weeks: 12,
  },
};

/** Every person labels connections with these (their own tags, same names). */
export const AUDIENCE_TAG_NAMES = ['close friends', 'family', 'work'] as const;

export interface SocialMember {
  id: string;
  email: string;
  displayName: string;
}

/** People are named by email; times are minutes before the seed runs. */
export interface SocialPlan {
  hubs: string[];
  members: SocialMember[];
  /** One per accepted pair; stored as two directed rows. */
  connections: { a: string; b: string; ageMinutes: number }[];
  /** `owner` labels `peer` with its tag `tag`. */
  connectionTags: { owner: string; peer: string; tag: string }[];
  posts: { id: string; author: string; body: string; tags: string[]; ageMinutes: number }[];
  comments: { id: string; postId: string; author: string; body: string; ageMinutes: number }[];
}

/** A stable UUID (v5 layout) for a name, so a second seed finds the rows the first one made. */
export function seedUuid(name: string): string {
  const hex = createHash('sha1').update(`lectern-seed:${name}`).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function tagId(owner: string, name: string): string {
  return seedUuid(`tag:${owner}:${name}`);
}

/** mulberry32: small, fast and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Gia', 'Hugo', 'Ines', 'Jon', 'Kiri', 'Lars'];
const LAST = ['Okafor', 'Nakamura', 'Silva', 'Novak', 'Haddad', 'Larsen', 'Moreau', 'Kowalski', 'Reyes'];
const OPENERS = ['Today', 'This week', 'Finally', 'Quick note:', 'Still thinking about it:', 'Small win:'];
const REPLIES = [
  'Love this!',
  'Same here.',
  'Tell me more.',
  'Congrats!',
  'Ha, so true.',
  'Saving this one.',
];

/** The graph for `hubs` demo users (`demo1@example.com`… up to three) at a scale; the same every time. */
export function socialPlan(scale: Scale, hubCount: number): SocialPlan {
  const spec = SOCIAL_SPECS[scale];
  const random = prng(0x5eed + spec.members);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const minutes = spec.weeks * 7 * 24 * 60;

  const hubs = Array.from(
    { length: Math.min(hubCount, spec.hubConnections.length) },
    (_, i) => `demo${i + 1}@example.com`,
  );
  const members = Array.from({ length: spec.members }, (_, i) => {
    const email = `member${String(i + 1).padStart(4, '0')}@example.com`;
    return {
      id: seedUuid(`user:${email}`),
      email,
      displayName: `${FIRST[i % FIRST.length]!} ${LAST[i % LAST.length]!} ${i + 1}`,
    };
  });

  const peers = new Map<string, string[]>();
  const connections: SocialPlan['connections'] = [];
  const connect = (a: string, b: string) => {
    connections.push({ a, b, ageMinutes: minutes + Math.floor(random() * minutes) });
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = peers.get(x) ?? [];
      list.push(y);
      peers.set(x, list);
    }
  };
  // Hub h takes a window of members starting at its own offset, so the hubs' audiences overlap only in part.
  hubs.forEach((hub, h) => {
    const count = Math.min(spec.hubConnections[h]!, members.length);
    const offset = Math.floor((h * members.length) / 3);
    for (let k = 0; k < count; k++) connect(hub, members[(offset + k) % members.length]!.email);
  });
  for (let i = 0; i < members.length; i++) {
    for (let d = 1; d <= spec.ringNeighbours && i + d < members.length; d++) {
      connect(members[i]!.email, members[i + d]!.email);
    }
  }

  const people = [...hubs, ...members.map((m) => m.email)];
  const connectionTags: SocialPlan['connectionTags'] = [];
  const tagsOf = new Map<string, Set<string>>(); // `${owner}|${peer}` → tag names
  for (const owner of people) {
    for (const peer of peers.get(owner) ?? []) {
      if (random() >= 0.3) continue;
      const tag = pick(AUDIENCE_TAG_NAMES);
      connectionTags.push({ owner, peer, tag });
      tagsOf.set(`${owner}|${peer}`, new Set([tag]));
    }
  }

  const posts: SocialPlan['posts'] = [];
  const comments: SocialPlan['comments'] = [];
  for (const author of people) {
    const count = hubs.includes(author) ? spec.hubPosts : spec.memberPosts;
    for (let n = 1; n <= count; n++) {
      const id = seedUuid(`post:${author}:${n}`);
      const tags = random() < 0.7 ? [] : [pick(AUDIENCE_TAG_NAMES)];
      const topic = pick(TOPICS);
      const ageMinutes = 30 + Math.floor(random() * minutes);
      posts.push({
        id,
        author,
        tags,
        ageMinutes,
        body: `${pick(OPENERS)} ${pick(topic.headings).toLowerCase()} (${topic.tag}) #${n}`,
      });
      const viewers = (peers.get(author) ?? []).filter(
        (peer) => tags.length === 0 || tags.some((t) => tagsOf.get(`${author}|${peer}`)?.has(t)),
      );
      const commenters = [...(viewers.length > 0 ? [pick(viewers), pick(viewers)] : []), author];
      const replies = Math.floor(random() * 4);
      for (let c = 0; c < replies; c++) {
        comments.push({
          id: seedUuid(`comment:${id}:${c}`),
          postId: id,
          author: commenters[c % commenters.length]!,
          body: pick(REPLIES),
          ageMinutes: Math.max(0, ageMinutes - 1 - Math.floor(random() * 29)),
        });
      }
    }
  }
  return { hubs, members, connections, connectionTags, posts, comments };
}

/** How many connections each person has in the plan. */
export function connectionCounts(plan: Pick<SocialPlan, 'connections'>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { a, b } of plan.connections) {
    counts.set(a, (counts.get(a) ?? 0) + 1);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return counts;
}
