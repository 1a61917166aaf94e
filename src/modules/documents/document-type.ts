import { fileTypeFromBuffer } from 'file-type';
import path from 'node:path';
import { AppError } from '../../platform/errors.ts';

export type DocumentMime = 'application/pdf' | 'text/plain' | 'text/markdown' | 'text/html';

/** Bytes the type is decided from: enough for file-type's signatures and for a text sniff. */
export const SNIFF_BYTES = 4100;

type Family = 'pdf' | 'text';

const EXTENSIONS: Record<string, DocumentMime> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
};
const DECLARED_MIMES: Record<string, DocumentMime> = {
  'application/pdf': 'application/pdf',
  'text/plain': 'text/plain',
  'text/markdown': 'text/markdown',
  'text/x-markdown': 'text/markdown',
  'text/html': 'text/html',
};
// What clients send when they do not know: says nothing about the bytes.
const UNINFORMATIVE = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The document's type, decided from its first bytes (file-type signatures, then a UTF-8 text sniff) and
 * checked against what the client declared: a declared type or extension only chooses between text flavours,
 * never overrides the bytes. The file name is metadata; it only contributes its extension here.
 */
export async function detectDocumentType(
  head: Uint8Array,
  declared: { mimetype: string; fileName: string | undefined },
): Promise<DocumentMime> {
  const sniffed = await sniff(head);
  const fromName = declared.fileName ? EXTENSIONS[path.extname(declared.fileName).toLowerCase()] : undefined;
  const mimetype = declared.mimetype.split(';')[0]!.trim().toLowerCase();
  const fromMime = DECLARED_MIMES[mimetype];
  for (const claim of [fromName, fromMime]) {
    if (claim && familyOf(claim) !== sniffed.family) throw mismatch(claim, sniffed.label);
  }
  if (sniffed.family === 'other') {
    throw new AppError(
      'DOCUMENT_UNSUPPORTED_TYPE',
      415,
      `Only PDF, plain text, Markdown and HTML documents are accepted; this file is ${sniffed.label}.`,
    );
  }
  if (
    !fromMime &&
    !UNINFORMATIVE.has(mimetype) &&
    !(sniffed.family === 'text' && mimetype.startsWith('text/'))
  ) {
    throw mismatch(mimetype, sniffed.label);
  }
  if (sniffed.family === 'pdf') return 'application/pdf';
  return fromName ?? fromMime ?? textFlavour(sniffed.text);
}

interface Sniffed {
  family: Family | 'other';
  /** What the bytes are, for error details. */
  label: string;
  text: string;
}

async function sniff(head: Uint8Array): Promise<Sniffed> {
  const signature = await fileTypeFromBuffer(head);
  if (signature?.mime === 'application/pdf') return { family: 'pdf', label: 'a PDF', text: '' };
  if (signature) return { family: 'other', label: signature.mime, text: '' };
  const text = decodeText(head);
  return text === undefined
    ? { family: 'other', label: 'binary data of an unknown type', text: '' }
    : { family: 'text', label: 'text', text };
}

/** The head as text, or undefined when it is not UTF-8 text (NUL bytes, invalid sequences, control bytes). */
function decodeText(head: Uint8Array): string | undefined {
  if (head.length === 0) return undefined;
  let text: string;
  try {
    // stream: a multi-byte character cut at the end of the head is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  const control = text.match(/[\x00-\x08\x0e-\x1a\x1c-\x1f]/g)?.length ?? 0;
  return control === 0 ? text : undefined;
}

function textFlavour(text: string): DocumentMime {
  const start = text.trimStart().slice(0, 200).toLowerCase();
  if (/^(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/.test(start)) return 'text/html';
  if (/^#{1,6} \S/m.test(text) || /^\s*[-*] \S[\s\S]*^\s*[-*] \S/m.test(text)) return 'text/markdown';
  return 'text/plain';
}

function familyOf(mime: DocumentMime): Family {
  return mime === 'application/pdf' ? 'pdf' : 'text';
}

function mismatch(claimed: string, found: string): AppError {
  return new AppError(
    'DOCUMENT_TYPE_MISMATCH',
    415,
    `The file was declared as ${claimed}, but its bytes are ${found}.`,
  );
}
