import type { DocumentRow } from './documents.repository.ts';
import { FIELD_NAMES, type DocumentDto } from './documents.schema.ts';

/** Rows may come from the cache in their JSON form (dates as strings). */
type Stored<T> = { [K in keyof T]: T[K] extends Date ? Date | string : T[K] };

const iso = (value: Date | string) => new Date(value).toISOString();

export function presentDocument(row: Stored<DocumentRow>): DocumentDto {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    fileName: row.file_name,
    mime: row.mime,
    byteSize: row.byte_size,
    sha256: row.sha256,
    status: row.status,
    stageProgress: row.stage_progress,
    error: row.error,
    pageCount: row.page_count,
    chunkCount: row.chunk_count,
    embedding: row.embedding,
    tags: row.tags,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** `?fields=a,b`: only those (and always `id`). */
export function presentFields(
  row: Stored<DocumentRow>,
  fields: string | undefined,
): { id: string } & Partial<DocumentDto> {
  const full = presentDocument(row);
  if (!fields) return full;
  const wanted = new Set(['id', ...fields.split(',')]);
  return {
    id: full.id,
    ...Object.fromEntries(FIELD_NAMES.filter((f) => wanted.has(f)).map((f) => [f, full[f]])),
  };
}

export function presentChunk(row: {
  id: string;
  ord: number;
  page_from: number;
  page_to: number;
  char_start: number;
  char_end: number;
  text: string;
}) {
  return {
    id: row.id,
    ord: row.ord,
    pageFrom: row.page_from,
    pageTo: row.page_to,
    charStart: row.char_start,
    charEnd: row.char_end,
    text: row.text,
  };
}

export function presentSummary(row: {
  text: string;
  model: string;
  method: 'extractive' | 'llm';
  note: string | null;
  created_at: Date;
}) {
  return {
    text: row.text,
    model: row.model,
    method: row.method,
    note: row.note,
    createdAt: iso(row.created_at),
  };
}
