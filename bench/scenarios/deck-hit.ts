import { defineScenario } from './scenario.ts';

interface RegisterResponse {
  tokens: { accessToken: string };
}

const DECK = {
  prompt: 'Harbour pilotage: how pilots bring ships through a silting channel. Tides. Boarding. Dredging.',
  numCards: 8,
  style: 'plain and practical',
  templateId: 'classic',
  themeId: 'paper',
};
const READY_WITHIN_MS = 30_000;

export const deckHit = defineScenario({
  name: 'deck-hit',
  description:
    'POST /api/v1/presentations identical to one already generated (local engine): found in the owner’s ' +
    'ai_cache, a new deck row written ready, 200 with `cached: true`.',
  server: { kind: 'lectern', dataset: { kind: 'empty' } },
  async setup({ baseUrl, runId, signal }) {
    const registered = await fetch(`${baseUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `bench-deck-${runId}@example.com`,
        password: 'bench-password-1',
        displayName: 'Bench',
      }),
      signal,
    });
    if (registered.status !== 201) {
      throw new Error(`register returned ${registered.status}: ${await registered.text()}`);
    }
    const { tokens } = (await registered.json()) as RegisterResponse;
    const headers = { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'application/json' };
    const body = JSON.stringify(DECK);
    const first = await fetch(`${baseUrl}/api/v1/presentations`, { method: 'POST', headers, body, signal });
    const created = (await first.json()) as { id: string };
    if (first.status !== 202)
      throw new Error(`expected 202, got ${first.status}: ${JSON.stringify(created)}`);
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      const res = await fetch(`${baseUrl}/api/v1/presentations/${created.id}`, { headers, signal });
      const { status } = (await res.json()) as { status: string };
      if (status === 'ready') break;
      if (status === 'failed' || Date.now() > deadline) throw new Error(`the deck ended ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const check = await fetch(`${baseUrl}/api/v1/presentations`, { method: 'POST', headers, body, signal });
    const hit = (await check.json()) as { cached?: boolean };
    if (check.status !== 200 || hit.cached !== true) {
      throw new Error(`expected a cache hit (200, cached: true), got ${check.status}`);
    }
    return { path: '/api/v1/presentations', method: 'POST', headers, body };
  },
});
