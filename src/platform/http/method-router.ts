import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';

/**
 * Remembers every registered route in a find-my-way router (Fastify's own) so a miss can tell 405 from 404
 * and list the methods the path does have.
 */
export function trackRouteMethods(app: FastifyInstance): (method: string, path: string) => string[] {
  const router = FindMyWay();
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue; // implicit: HEAD follows GET, OPTIONS is CORS
      methods.add(method);
      router.on(method as 'GET', route.url, () => undefined);
    }
  });
  return (requested, path) =>
    [...methods].filter((m) => m !== requested && router.find(m as 'GET', path) !== null).sort();
}
