import { setTimeout as sleep } from 'node:timers/promises';
import { socialPlan } from '../../src/cli/seed/social-plan.ts';
import { BENCH_SEED_PASSWORD } from '../lib/data-dir.ts';
import { FEED_USERS, FEED_UNCACHED } from './feed.ts';
import { signInSeeded } from './library-session.ts';
import { defineTimedScenario, type Measurement } from './scenario.ts';

const POSTS_PER_AUDIENCE = 5;
const POLL_MS = 5;
/** Far above what a 2,000-recipient fan-out takes here; past it the scenario fails instead of hanging. */
const DEADLINE_MS = 60_000;

/**
 * The recipient whose entry the fan-out writes last: it walks the author's connections in id order, one chunk per
 * statement, so once this one's feed shows the post every entry is written.
 */
function lastRecipient(hub: number): string {
  const plan = socialPlan('medium', 3);
  const hubEmail = `demo${hub}@example.com`;
  const peers = new Set(
    plan.connections.flatMap(({ a, b }) => (a === hubEmail ? [b] : b === hubEmail ? [a] : [])),
  );
  const members = plan.members.filter((m) => peers.has(m.email)).sort((x, y) => (x.id < y.id ? -1 : 1));
  return members.at(-1)!.email;
}

async function signIn(baseUrl: string, email: string, signal: AbortSignal): Promise<Record<string, string>> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_SEED_PASSWORD }),
    signal,
  });
  if (response.status !== 200) throw new Error(`login as ${email} returned ${response.status}`);
  const { tokens } = (await response.json()) as { tokens: { accessToken: string } };
  return { authorization: `Bearer ${tokens.accessToken}` };
}

/** Milliseconds from sending the POST to the post at the top of the last recipient's feed, once per post. */
async function timeFanOut(
  baseUrl: string,
  hub: number,
  runId: string,
  signal: AbortSignal,
): Promise<number[]> {
  const author = await signInSeeded(baseUrl, signal, hub);
  const recipient = await signIn(baseUrl, lastRecipient(hub), signal);
  const times: number[] = [];
  for (let i = 0; i < POSTS_PER_AUDIENCE; i++) {
    const startedAt = performance.now();
    const created = await fetch(`${baseUrl}/api/v1/posts`, {
      method: 'POST',
      headers: { ...author, 'content-type': 'application/json' },
      body: JSON.stringify({ body: `fan-out bench ${runId} #${i}`, audience: ['all'] }),
      signal,
    });
    if (created.status !== 201)
      throw new Error(`POST /api/v1/posts returned ${created.status}: ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    for (;;) {
      const feed = await fetch(`${baseUrl}/api/v1/feed?limit=1`, { headers: recipient, signal });
      const { items } = (await feed.json()) as { items: { id: string }[] };
      if (items[0]?.id === id) break;
      if (performance.now() - startedAt > DEADLINE_MS) throw new Error(`post ${id} not fanned out in time`);
      await sleep(POLL_MS, undefined, { signal });
    }
    times.push(performance.now() - startedAt);
  }
  return times.sort((a, b) => a - b);
}

export const postFanout = defineTimedScenario({
  name: 'post-fanout',
  description:
    `POST /api/v1/posts (audience all) by demo3, demo2 and demo1 (10, 200 and 2,000 recipients), ` +
    `${POSTS_PER_AUDIENCE} posts each: ms from the POST to the post in the feed of the recipient the fan-out job ` +
    `writes last (outbox relay and job pickup included), CACHE=off so the poll reads the inbox.`,
  server: FEED_UNCACHED,
  async measure({ baseUrl, runId, signal }) {
    const figures: Measurement[] = [];
    for (const [audience, hub] of Object.entries(FEED_USERS)) {
      const times = await timeFanOut(baseUrl, hub, runId, signal);
      figures.push(
        {
          label: `${audience} recipients: median`,
          value: times[Math.floor(times.length / 2)]!,
          unit: 'ms/post',
        },
        { label: `${audience} recipients: slowest`, value: times.at(-1)!, unit: 'ms/post' },
      );
    }
    return figures;
  },
});
