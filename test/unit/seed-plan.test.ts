import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../../src/cli/seed/progress-bar.ts';
import { SCALE_SPECS, seedPlan } from '../../src/cli/seed/seed-plan.ts';

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
