import { seedPlan } from '../../src/cli/seed/seed-plan.ts';
import { LIBRARY_DATASET } from './library-list.ts';
import { multipartUpload, signInSeeded } from './library-session.ts';
import { defineScenario } from './scenario.ts';

export const dedupHit = defineScenario({
  name: 'dedup-hit',
  description:
    'POST /api/v1/documents (multipart) of bytes the user already has (a seeded 12-page PDF): streamed to ' +
    'storage while hashed, found by hash, the copy discarded, 200 with duplicateOf.',
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  async setup({ baseUrl, signal }) {
    if (LIBRARY_DATASET.kind !== 'seeded') throw new Error('dedup-hit needs a seeded dataset');
    // The same plan and generator as the seed: the same bytes as one of demo1's documents.
    const handbook = seedPlan(LIBRARY_DATASET.scale, 1)[0]!.documents.find(
      (d) => d.kind === 'file' && d.mime === 'application/pdf' && d.title.endsWith('volume 2'),
    );
    if (handbook?.kind !== 'file') throw new Error('the seed plan has no second handbook');
    const upload = multipartUpload({
      name: handbook.fileName,
      type: handbook.mime,
      bytes: await handbook.render(),
    });
    const headers = { ...(await signInSeeded(baseUrl, signal)), 'content-type': upload.contentType };
    const first = await fetch(`${baseUrl}/api/v1/documents`, {
      method: 'POST',
      headers,
      body: upload.body,
      signal,
    });
    const answer = (await first.json()) as { duplicateOf?: string | null };
    if (first.status !== 200 || !answer.duplicateOf) {
      throw new Error(`expected a duplicate (200), got ${first.status}: ${JSON.stringify(answer)}`);
    }
    return { path: '/api/v1/documents', method: 'POST', headers, body: upload.body };
  },
});
