import { handbookPdf, notesMarkdown, storyText } from './prose.ts';
import { TOPICS } from './topics.ts';

export const SCALES = ['small', 'medium', 'large'] as const;
export type Scale = (typeof SCALES)[number];

/**
 * Bump when what a scale creates changes: the benchmarks cache seeded data dirs under
 * `bench/.data/<SEED_VERSION>-<scale>` and must not reuse one made by an older plan.
 */
export const SEED_VERSION = 4;

/** Known on purpose: seeded accounts are for demos and benchmarks, and a second seed signs in with it. */
export const DEFAULT_SEED_PASSWORD = 'lectern-demo';

interface ScaleSpec {
  users: number;
  /** Each user's library: one handbook PDF per entry (its page count), Markdown notes and stories. */
  library: { handbookPages: number[]; notes: number; stories: number };
  /** Each user's bulk corpus (written straight into the tables, see seed-bulk.ts): text documents of N chunks. */
  bulk: { documents: number; chunksPerDocument: number };
}

/** What each scale creates (README's seed table states the same numbers). */
export const SCALE_SPECS: Record<Scale, ScaleSpec> = {
  small: {
    users: 3,
    library: { handbookPages: [6, 16], notes: 4, stories: 2 },
    bulk: { documents: 25, chunksPerDocument: 40 },
  },
  medium: {
    users: 10,
    library: { handbookPages: [8, 12, 20, 30, 40, 60], notes: 24, stories: 10 },
    bulk: { documents: 250, chunksPerDocument: 40 },
  },
  large: {
    users: 25,
    library: { handbookPages: [8, 12, 20, 30, 40, 60, 100, 150], notes: 82, stories: 30 },
    bulk: { documents: 300, chunksPerDocument: 40 },
  },
};

export type SeedDocument =
  | {
      kind: 'file';
      title: string;
      tags: string[];
      fileName: string;
      mime: string;
      render: () => Promise<Buffer>;
    }
  | { kind: 'story'; title: string; tags: string[]; text: () => string };

export interface SeedUser {
  email: string;
  displayName: string;
  documents: SeedDocument[];
}

const DISPLAY_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Katherine',
  'Edsger',
  'Barbara',
  'Claude',
  'Hedy',
  'Tim',
  'Radia',
];

/** Users `demo1@example.com`… each with the same mix of documents on rotating topics; all deterministic. */
export function seedPlan(scale: Scale, users = SCALE_SPECS[scale].users): SeedUser[] {
  const { library } = SCALE_SPECS[scale];
  return Array.from({ length: users }, (_, u) => {
    let n = 0;
    const next = () => {
      n++;
      return { topic: TOPICS[(u * 3 + n) % TOPICS.length]!, seed: (u + 1) * 100_003 + n };
    };
    const documents: SeedDocument[] = [];
    for (const pages of library.handbookPages) {
      const { topic, seed } = next();
      const title = `${topic.subject} Handbook, volume ${n}`;
      documents.push({
        kind: 'file',
        title,
        tags: [topic.tag, 'handbook'],
        fileName: `${slug(title)}.pdf`,
        mime: 'application/pdf',
        render: () => handbookPdf(topic, seed, pages, title),
      });
    }
    for (let i = 0; i < library.notes; i++) {
      const { topic, seed } = next();
      const title = `${topic.headings[i % topic.headings.length]!}: ${topic.subject.toLowerCase()} notes`;
      documents.push({
        kind: 'file',
        title,
        tags: [topic.tag, 'notes'],
        fileName: `${slug(title)}-${n}.md`,
        mime: 'text/markdown',
        render: async () => Buffer.from(notesMarkdown(topic, seed, 3 + (seed % 4), title)),
      });
    }
    for (let i = 0; i < library.stories; i++) {
      const { topic, seed } = next();
      documents.push({
        kind: 'story',
        title: `A ${topic.tag} story (${n})`,
        tags: [topic.tag, 'story'],
        text: () => storyText(topic, seed, 4 + (seed % 5)),
      });
    }
    return {
      email: `demo${u + 1}@example.com`,
      displayName: DISPLAY_NAMES[u % DISPLAY_NAMES.length]! + (u >= DISPLAY_NAMES.length ? ` ${u + 1}` : ''),
      documents,
    };
  });
}

export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
