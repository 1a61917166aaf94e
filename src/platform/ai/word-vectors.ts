import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** Bump when the layout or the conversion changes: the file name carries it, so old caches are ignored. */
const WORD_VECTORS_FORMAT = 1;
export const WORD_VECTORS_FILE = `glove-100d-int8-v${WORD_VECTORS_FORMAT}.bin`;

const MAGIC = 'LECTWVEC';
const HEADER_BYTES = 32;

/** Word vectors quantised to int8, one scale per vector (value = vectors[i * dimensions + d] * scales[i]). */
export interface WordVectors {
  dimensions: number;
  words: string[];
  /** 1-based rank of each word in the source's frequency order (punctuation included), for Zipf weights. */
  ranks: Uint32Array;
  scales: Float32Array;
  vectors: Int8Array;
}

export function quantiseWordVectors(
  words: string[],
  ranks: Uint32Array,
  floats: Float32Array,
  dimensions: number,
): WordVectors {
  const scales = new Float32Array(words.length);
  const vectors = new Int8Array(words.length * dimensions);
  for (let i = 0; i < words.length; i++) {
    const row = floats.subarray(i * dimensions, (i + 1) * dimensions);
    const scale = row.reduce((max, v) => Math.max(max, Math.abs(v)), 0) / 127 || 1;
    scales[i] = scale;
    for (let d = 0; d < dimensions; d++) vectors[i * dimensions + d] = Math.round(row[d]! / scale);
  }
  return { dimensions, words, ranks, scales, vectors };
}

// Layout, little-endian: magic, format, dimensions, count, vocabulary bytes, CRC-32 of the rest, then
// float32 scales, uint32 ranks, int8 vectors and the words joined by "\n".
export function encodeWordVectors(wv: WordVectors): Buffer {
  const vocabulary = Buffer.from(wv.words.join('\n'));
  const body = Buffer.concat([
    Buffer.from(wv.scales.buffer, wv.scales.byteOffset, wv.scales.byteLength),
    Buffer.from(wv.ranks.buffer, wv.ranks.byteOffset, wv.ranks.byteLength),
    Buffer.from(wv.vectors.buffer, wv.vectors.byteOffset, wv.vectors.byteLength),
    vocabulary,
  ]);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(WORD_VECTORS_FORMAT, 8);
  header.writeUInt32LE(wv.dimensions, 12);
  header.writeUInt32LE(wv.words.length, 16);
  header.writeUInt32LE(vocabulary.length, 20);
  header.writeUInt32LE(crc32(body), 24);
  return Buffer.concat([header, body]);
}

/** The decoded cache, or undefined when the bytes are not a complete cache of this format. */
export function decodeWordVectors(file: Buffer): WordVectors | undefined {
  if (file.length < HEADER_BYTES || file.toString('latin1', 0, 8) !== MAGIC) return undefined;
  if (file.readUInt32LE(8) !== WORD_VECTORS_FORMAT) return undefined;
  const dimensions = file.readUInt32LE(12);
  const count = file.readUInt32LE(16);
  const vocabularyBytes = file.readUInt32LE(20);
  if (file.length !== HEADER_BYTES + count * (8 + dimensions) + vocabularyBytes) return undefined;
  const body = file.subarray(HEADER_BYTES);
  if (crc32(body) !== file.readUInt32LE(24)) return undefined;
  // Copies: the typed-array views need aligned offsets, which a Buffer slice does not promise.
  const at = (offset: number, bytes: number) =>
    body.buffer.slice(body.byteOffset + offset, body.byteOffset + offset + bytes);
  const words = body.toString('utf8', count * (8 + dimensions)).split('\n');
  if (words.length !== count) return undefined;
  return {
    dimensions,
    words,
    scales: new Float32Array(at(0, count * 4)),
    ranks: new Uint32Array(at(count * 4, count * 4)),
    vectors: new Int8Array(at(count * 8, count * dimensions)),
  };
}

export async function readWordVectors(file: string): Promise<WordVectors | undefined> {
  try {
    return decodeWordVectors(await readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
