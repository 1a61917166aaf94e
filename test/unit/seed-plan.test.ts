import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../../src/cli/seed/progress-bar.ts';
import { SCALE_SPECS, seedPlan } from '../../src/cli/seed/seed-plan.ts';
import { connectionCounts, SOCIAL_SPECS, socialPlan } from '../../src/cli/seed/social-plan.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function bytesOf(plan: ReturnType<typeof seedPlan>): Promise<string[]> {
  const hashes: string[] = [];
  for (const user of plan) {
    for (const doc of user.documents) {
      hashes.push(sha256(doc.kind === 'story' ? Buffer.from(doc.text()) : await doc.render()));
    }
  }
  return hashes;
}

describe('seed plan', () => {
  it('gives each scale its users and library', () => {
    for (const [scale, spec] of Object.entries(SCALE_SPECS)) {
      const plan = seedPlan(scale as keyof typeof SCALE_SPECS);
      const perUser = spec.library.handbookPages.length + spec.library.notes + spec.library.stories;
      expect(plan).toHaveLength(spec.users);
      expect(plan.every((u) => u.documents.length === perUser)).toBe(true);
      expect(new Set(plan.map((u) => u.email)).size).toBe(spec.users);
    }
    expect(seedPlan('small', 2).map((u) => u.email)).toEqual(['demo1@example.com', 'demo2@example.com']);
  });

  it('makes the same bytes every time and different bytes for every document', async () => {
    const [first, again] = [await bytesOf(seedPlan('small')), await bytesOf(seedPlan('small'))];
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});

describe('social seed plan', () => {
  const medium = socialPlan('medium', 3);

  it('makes demo1, demo2 and demo3 hubs with 2,000, 200 and 10 connections at medium', () => {
    const counts = connectionCounts(medium);
    expect(medium.hubs).toEqual(['demo1@example.com', 'demo2@example.com', 'demo3@example.com']);
    expect(medium.hubs.map((hub) => counts.get(hub))).toEqual([2000, 200, 10]);
    expect(medium.members).toHaveLength(SOCIAL_SPECS.medium.members);
    const memberCounts = medium.members.map((m) => counts.get(m.email) ?? 0);
    expect(Math.min(...memberCounts)).toBeGreaterThanOrEqual(SOCIAL_SPECS.medium.ringNeighbours);
    const pairs = medium.connections.map(({ a, b }) => [a, b].sort().join('|'));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(medium.connections.every(({ a, b }) => a !== b)).toBe(true);
  });

  it('is the same plan every time, with unique ids', () => {
    expect(socialPlan('medium', 3)).toEqual(medium);
    const ids = [
      ...medium.members.map((m) => m.id),
      ...medium.posts.map((p) => p.id),
      ...medium.comments.map((c) => c.id),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads posts over weeks, mixes audiences, and lets only viewers comment', () => {
    const ages = medium.posts.map((p) => p.ageMinutes);
    expect(Math.max(...ages) - Math.min(...ages)).toBeGreaterThan(6 * 7 * 24 * 60);
    const tagged = medium.posts.filter((p) => p.tags.length > 0).length;
    expect(tagged / medium.posts.length).toBeGreaterThan(0.2);
    expect(tagged / medium.posts.length).toBeLessThan(0.4);

    const connected = new Set(medium.connections.flatMap(({ a, b }) => [`${a}|${b}`, `${b}|${a}`]));
    const labels = new Set(medium.connectionTags.map((t) => `${t.owner}|${t.peer}|${t.tag}`));
    expect(medium.connectionTags.every((t) => connected.has(`${t.owner}|${t.peer}`))).toBe(true);
    const posts = new Map(medium.posts.map((p) => [p.id, p]));
    expect(medium.comments.length).toBeGreaterThan(medium.posts.length);
    for (const comment of medium.comments) {
      const post = posts.get(comment.postId)!;
      const sees =
        comment.author === post.author ||
        (connected.has(`${post.author}|${comment.author}`) &&
          (post.tags.length === 0 ||
            post.tags.some((tag) => labels.has(`${post.author}|${comment.author}|${tag}`))));
      expect(sees, comment.id).toBe(true);
      expect(comment.ageMinutes).toBeLessThan(post.ageMinutes);
    }
  });

  it('has as many hubs as demo users, up to three', () => {
    expect(socialPlan('small', 1).hubs).toEqual(['demo1@example.com']);
    expect(connectionCounts(socialPlan('small', 1)).get('demo1@example.com')).toBe(
      SOCIAL_SPECS.small.hubConnections[0],
    );
  });
});

describe('seed progress bar', () => {
  const output = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, out: { isTTY, columns: 200, write: (text: string) => writes.push(text) } };
  };

  it('redraws one line in place on a terminal', () => {
    let now = 0;
    const { writes, out } = output(true);
    const bar = createProgressBar(out, { now: () => now });
    bar.update(1, 4, 'stored');
    bar.update(2, 4, 'stored'); // too soon after the last draw
    now = 500;
    bar.update(4, 4, 'stored');
    bar.finish();
    expect(writes).toHaveLength(3);
    expect(writes.slice(0, 2).every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
    expect(writes[1]).toContain('4/4 stored');
    expect(writes[2]).toBe('\n');
  });

  it('prints plain lines now and then when the output is not a terminal', () => {
    let now = 0;
    const { writes, out } = output(false);
    const bar = createProgressBar(out, { now: () => now, plainEveryMs: 1000 });
    bar.update(1, 10, 'processed');
    now = 500;
    bar.update(2, 10, 'processed');
    now = 1500;
    bar.update(3, 10, 'processed');
    bar.update(10, 10, 'processed', true);
    bar.finish();
    expect(writes).toEqual([
      expect.stringMatching(/^seed .* 1\/10 processed · 0 s\n$/),
      expect.stringMatching(/ 3\/10 processed · 2 s\n$/),
      expect.stringMatching(/ 10\/10 processed · 2 s\n$/),
    ]);
  });
});
