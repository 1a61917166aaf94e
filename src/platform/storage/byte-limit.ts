import { Transform, type TransformCallback } from 'node:stream';
import { tooLarge } from './storage-errors.ts';

/** Passes bytes through, counting them, and fails the stream as soon as they pass `maxBytes`. */
export class ByteLimit extends Transform {
  bytes = 0;
  readonly maxBytes: number;

  constructor(maxBytes = Number.POSITIVE_INFINITY) {
    super();
    this.maxBytes = maxBytes;
  }

  get exceeded(): boolean {
    return this.bytes > this.maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(this.exceeded ? tooLarge(this.maxBytes) : null, chunk);
  }
}
