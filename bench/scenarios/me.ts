import { defineScenario } from './scenario.ts';

interface RegisterResponse {
  tokens: { accessToken: string };
}

export const me = defineScenario({
  name: 'me',
  description: 'GET /api/v1/me with a bearer token: authentication plus one SQL statement.',
  server: { kind: 'lectern', dataset: { kind: 'empty' } },
  async setup({ baseUrl, runId, signal }) {
    const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `bench-me-${runId}@example.com`,
        password: 'bench-password-1',
        displayName: 'Bench',
      }),
      signal,
    });
    if (response.status !== 201) {
      throw new Error(`register returned ${response.status}: ${await response.text()}`);
    }
    const { tokens } = (await response.json()) as RegisterResponse;
    return { path: '/api/v1/me', headers: { authorization: `Bearer ${tokens.accessToken}` } };
  },
});
