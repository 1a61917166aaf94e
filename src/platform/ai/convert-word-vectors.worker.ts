// Worker thread: turns the GloVe JSON into the int8 cache once (~4 s of CPU), off the event loop that serves HTTP.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { removeCommonDirections } from './all-but-the-top.ts';
import { readWinkEmbeddings } from './read-wink-embeddings.ts';
import { encodeWordVectors, quantiseWordVectors } from './word-vectors.ts';
import { isWordToken } from './word-tokens.ts';

export interface ConvertWordVectorsData {
  source: string;
  target: string;
  limit: number;
  dimensions: number;
}

const { source, target, limit, dimensions } = workerData as ConvertWordVectorsData;
const raw = await readWinkEmbeddings(createReadStream(source, { encoding: 'utf8' }), {
  limit,
  dimensions,
  accept: isWordToken,
});
removeCommonDirections(raw.floats, raw.dimensions);
const bytes = encodeWordVectors(quantiseWordVectors(raw.words, raw.ranks, raw.floats, raw.dimensions));
// Rename is atomic: readers (and a second process converting at the same time) see no file or a whole one.
const temporary = `${target}.${randomUUID()}.tmp`;
try {
  await writeFile(temporary, bytes);
  await rename(temporary, target);
} finally {
  await rm(temporary, { force: true });
}
