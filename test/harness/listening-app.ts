// A test app on a real loopback port with its workers running (WebSocket tests: DESIGN §10, streaming is never
// tested through inject()), and the sockets opened to it, all closed after the file's tests.
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, type TestApp } from './test-app.ts';
import { openWs, wsUrl, type WsClient } from './ws-client.ts';

export interface ListeningApp {
  /** Set once the file's `beforeAll` ran. */
  t: TestApp;
  base: string;
  connect(token: string): Promise<WsClient>;
  /** A socket of `user`'s subscribed to their own `user:` channel (acknowledged). */
  ownChannel(user: { id: string; token: string }): Promise<WsClient>;
}

/** Registers the file's beforeAll/afterAll; call at the top level of a test file. */
export function listeningApp(env: Record<string, string> = {}): ListeningApp {
  const clients: WsClient[] = [];
  const app: ListeningApp = {
    t: undefined as unknown as TestApp,
    base: '',
    async connect(token) {
      const client = await openWs(wsUrl(app.base, token));
      clients.push(client);
      return client;
    },
    async ownChannel(user) {
      const client = await app.connect(user.token);
      const ch = `user:${user.id}`;
      client.send({ op: 'sub', ch, id: 'own' });
      expect(await client.waitFor((m) => m.id === 'own')).toEqual({ op: 'ack', ch, id: 'own' });
      return client;
    },
  };
  beforeAll(async () => {
    app.t = await createTestApp(env);
    await app.t.deps.startBackground({ workers: true });
    app.base = await app.t.app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await app.t?.close();
  });
  return app;
}
