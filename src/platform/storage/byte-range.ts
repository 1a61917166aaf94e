import type { ByteRange } from './blob-storage.ts';

/**
 * One `Range: bytes=…` against a file of `size` bytes (RFC 9110 §14.1.2): `a-b`, `a-` or the suffix `-n`.
 * Undefined means serve the whole file: no header, or one a server may ignore (other units, several
 * ranges, malformed, last before first).
 */
export function parseRangeHeader(
  header: string | undefined,
  size: number,
): Required<ByteRange> | 'unsatisfiable' | undefined {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return undefined;
    const suffix = Number(last);
    return suffix === 0 || size === 0
      ? 'unsatisfiable'
      : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
