import { LIBRARY_DATASET } from './library-list.ts';
import { signInSeeded, type DocumentSummary } from './library-session.ts';
import { defineScenario } from './scenario.ts';

export const documentMetadata = defineScenario({
  name: 'document-metadata',
  description: 'GET /api/v1/documents/:id of a ready seeded PDF: a cached row (30 min) after the warm-up.',
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  async setup({ baseUrl, signal }) {
    const headers = await signInSeeded(baseUrl, signal);
    const response = await fetch(`${baseUrl}/api/v1/documents?status=ready&limit=100`, { headers, signal });
    if (response.status !== 200)
      throw new Error(`list returned ${response.status}: ${await response.text()}`);
    const { items } = (await response.json()) as { items: (DocumentSummary & { mime: string })[] };
    const pdf = items.find((d) => d.mime === 'application/pdf');
    if (!pdf) throw new Error('the seeded user has no ready PDF');
    return { path: `/api/v1/documents/${pdf.id}`, headers };
  },
});
