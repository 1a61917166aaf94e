import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export interface HashedStream {
  /** The whole upload again, head included; hashes and counts what passes through. */
  body: Readable;
  /** The first bytes, to decide the type before anything is stored. */
  head: Buffer;
  /** SHA-256 (hex) and size, once `body` has been read to its end. */
  digest(): { sha256: string; bytes: number };
}

/**
 * Reads the first `headBytes` of an upload, then hands back a stream of the whole upload that computes its
 * SHA-256 on the way to storage: nothing is buffered beyond the head.
 */
export async function hashedStream(source: Readable, headBytes: number): Promise<HashedStream> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pulled: Buffer[] = [];
  let pulledBytes = 0;
  let ended = false;
  while (pulledBytes < headBytes) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    pulled.push(next.value);
    pulledBytes += next.value.length;
  }
  const first = Buffer.concat(pulled);
  const hash = createHash('sha256');
  let bytes = 0;
  let finished = false;

  async function* all(): AsyncGenerator<Buffer> {
    const pass = (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      return chunk;
    };
    if (first.length > 0) yield pass(first);
    while (!ended) {
      const next = await chunks.next();
      if (next.done) break;
      yield pass(next.value);
    }
    finished = true;
  }

  return {
    body: Readable.from(all(), { objectMode: false }),
    head: first.subarray(0, headBytes),
    digest() {
      if (!finished) throw new Error('The upload stream has not been read to its end');
      return { sha256: hash.digest('hex'), bytes };
    },
  };
}
