import { createHash } from 'node:crypto';
import { topicWriter } from './prose.ts';
import { SCALE_SPECS, slug, type Scale } from './seed-plan.ts';
import { seedUuid } from './social-plan.ts';
import { TOPICS } from './topics.ts';

/**
 * At most this many words per chunk: one passage window of the local embedder (50 words), so each chunk is one
 * vector and the HNSW index of the medium corpus holds ~100k rows rather than millions.
 */
const MAX_CHUNK_WORDS = 50;
const MAX_CHUNK_SENTENCES = 4;
/** The bulk documents are spread over the past, one this many minutes before the next. */
const MINUTES_APART = 30;

export interface BulkChunk {
  ord: number;
  /** Offsets in the document's text (its only page), as the chunker records them. */
  charStart: number;
  charEnd: number;
  text: string;
  textSha256: string;
}

/** A plain-text document of the bulk corpus: its bytes are `text`, one page, chunked at paragraph breaks. */
export interface BulkDocument {
  id: string;
  blobKey: string;
  title: string;
  fileName: string;
  tags: string[];
  text: string;
  sha256: string;
  byteSize: number;
  createdAt: Date;
  chunks: BulkChunk[];
}

export interface BulkOwner {
  id: string;
  email: string;
  /** The owner's place in the seed plan: picks the topics of their documents. */
  index: number;
}

/** How many bulk documents and chunks each owner gets at this scale. */
export function bulkSize(scale: Scale): { documents: number; chunksPerDocument: number } {
  return SCALE_SPECS[scale].bulk;
}

/** The id of the owner's n-th bulk document: known before its text is generated, the same on every run. */
export function bulkDocumentId(email: string, n: number): string {
  return seedUuid(`bulk-document:${email}:${n}`);
}

/** The owner's n-th bulk document, generated from (owner, n) alone: deterministic, unique per owner. */
export function bulkDocument(owner: BulkOwner, n: number, scale: Scale, now: Date): BulkDocument {
  const { documents, chunksPerDocument } = bulkSize(scale);
  const topic = TOPICS[(owner.index * 5 + n) % TOPICS.length]!;
  const write = topicWriter(topic, (owner.index + 1) * 1_000_003 + n * 7_919);
  const paragraphs = Array.from({ length: chunksPerDocument }, () => {
    const sentences = [write.sentence()];
    let words = wordCount(sentences[0]!);
    while (sentences.length < MAX_CHUNK_SENTENCES) {
      const next = write.sentence();
      if (words + wordCount(next) > MAX_CHUNK_WORDS) break;
      sentences.push(next);
      words += wordCount(next);
    }
    return sentences.join(' ');
  });
  const text = paragraphs.join('\n\n');
  let offset = 0;
  const chunks = paragraphs.map((paragraph, ord) => {
    const charStart = offset;
    offset += paragraph.length + 2;
    return {
      ord,
      charStart,
      charEnd: charStart + paragraph.length,
      text: paragraph,
      textSha256: sha256(paragraph),
    };
  });
  const title = `${write.pick(topic.headings)}: ${topic.subject.toLowerCase()} reference ${n + 1}`;
  const bytes = Buffer.from(text, 'utf8');
  return {
    id: bulkDocumentId(owner.email, n),
    blobKey: `documents/${seedUuid(`bulk-blob:${owner.email}:${n}`)}`,
    title,
    fileName: `${slug(title)}.txt`,
    tags: [topic.tag, 'reference'],
    text,
    sha256: sha256(bytes),
    byteSize: bytes.length,
    createdAt: new Date(now.getTime() - (documents - n) * MINUTES_APART * 60_000),
    chunks,
  };
}

function wordCount(text: string): number {
  return text.split(' ').length;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
