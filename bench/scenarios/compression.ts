import { request } from 'node:http';
import { LIBRARY_DATASET } from './library-list.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario, type ScenarioContext } from './scenario.ts';

/**
 * demo1's whole library in one page (limit=100: all 40 seeded documents, tags included), cached after the
 * warm-up: a large JSON answer whose cost is mostly serialising and compressing it, not SQL.
 */
const PATH = '/api/v1/documents?limit=100';
type Encoding = 'identity' | 'gzip' | 'br';

/** Body bytes as sent (not decoded, unlike fetch) and the encoding the server chose. */
function wireSize(ctx: ScenarioContext, headers: Record<string, string>): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = request(ctx.baseUrl + PATH, { headers, signal: ctx.signal }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve([bytes, String(res.headers['content-encoding'] ?? 'identity')]));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function compressionScenario<const N extends string>(name: N, encoding: Encoding) {
  return defineScenario({
    name,
    description:
      `GET ${PATH} as demo1 (40 documents, cached page) with Accept-Encoding: ${encoding}: ` +
      'bytes on the wire (KiB/resp) and the CPU compression costs against identity.',
    server: { kind: 'lectern', dataset: LIBRARY_DATASET },
    async setup(ctx) {
      const headers = { ...(await signInSeeded(ctx.baseUrl, ctx.signal)), 'accept-encoding': encoding };
      const [bytes, sent] = await wireSize(ctx, headers);
      if (sent !== encoding) throw new Error(`asked for ${encoding}, the server sent ${sent}`);
      const [plain] = await wireSize(ctx, { ...headers, 'accept-encoding': 'identity' });
      console.log(
        `  ${PATH}: ${(plain / 1024).toFixed(1)} KiB as JSON, ${(bytes / 1024).toFixed(1)} KiB as ${encoding} ` +
          `(${(plain / bytes).toFixed(1)}× smaller)`,
      );
      return { path: PATH, headers };
    },
  });
}

export const compressionIdentity = compressionScenario('compression-identity', 'identity');
export const compressionGzip = compressionScenario('compression-gzip', 'gzip');
export const compressionBr = compressionScenario('compression-br', 'br');
