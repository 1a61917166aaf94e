import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey, type BlobStorage } from './blob-storage.ts';
import { ByteLimit } from './byte-limit.ts';
import { rangeNotSatisfiable } from './storage-errors.ts';
import type { UrlSigner } from './url-signer.ts';

/**
 * Files under `root` (DATA_DIR/files): `<prefix>/<id>` holds the bytes and `<prefix>/<id>.meta.json` the
 * content type. Uploads stream into `root/.tmp` and are renamed into place, so a reader sees a whole file
 * or none. Signed URLs point at Lectern's own /files routes (files.routes.ts).
 */
export function createLocalStorage(options: {
  root: string;
  signer: UrlSigner;
  /** Prepended to signed `/files/…` paths; '' keeps them relative to the API's origin. */
  publicBaseUrl?: string;
}): BlobStorage {
  const root = path.resolve(options.root);
  const tmp = path.join(root, '.tmp');
  const publicBaseUrl = options.publicBaseUrl ?? '';

  const fileFor = (key: string) => {
    assertBlobKey(key);
    return path.join(root, key);
  };
  const signGet = (key: string, ttlSeconds: number) => {
    assertBlobKey(key);
    return publicBaseUrl + options.signer.signPath({ method: 'GET', key }, ttlSeconds);
  };
  const readContentType = async (file: string) => {
    const meta = await readFile(`${file}.meta.json`, 'utf8').catch(unlessMissing);
    return meta === undefined ? undefined : (JSON.parse(meta) as { contentType: string }).contentType;
  };

  return {
    kind: 'local',

    async put(key, body, { contentType, maxBytes }) {
      const file = fileFor(key);
      const temp = path.join(tmp, randomUUID());
      const limit = new ByteLimit(maxBytes);
      try {
        await mkdir(tmp, { recursive: true });
        await pipeline(body, limit, createWriteStream(temp, { flags: 'wx' }));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(`${temp}.meta`, JSON.stringify({ contentType }), { flag: 'wx' });
        // Metadata first, then the bytes: whoever finds the file also finds its content type.
        await rename(`${temp}.meta`, `${file}.meta.json`);
        await rename(temp, file);
      } catch (error) {
        await Promise.all([rm(temp, { force: true }), rm(`${temp}.meta`, { force: true })]);
        throw error;
      }
      return { bytes: limit.bytes };
    },

    async get(key, range) {
      const file = fileFor(key);
      const handle = await open(file, 'r').catch(unlessMissing);
      if (!handle) return undefined;
      try {
        const [{ size }, contentType] = await Promise.all([handle.stat(), readContentType(file)]);
        if (contentType === undefined) {
          await handle.close();
          return undefined;
        }
        const start = range?.start ?? 0;
        const end = Math.min(range?.end ?? Number.POSITIVE_INFINITY, size - 1);
        if (range && end < start) throw rangeNotSatisfiable(size);
        // An empty file has no last byte; reading [0, 0] of it yields nothing, as it should.
        const body = handle.createReadStream({ start, end: Math.max(start, end) });
        return { body, bytes: Math.max(0, end - start + 1), totalBytes: size, contentType };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async head(key) {
      const file = fileFor(key);
      const [stats, contentType] = await Promise.all([
        stat(file).catch(unlessMissing),
        readContentType(file),
      ]);
      return stats && contentType !== undefined ? { bytes: stats.size, contentType } : undefined;
    },

    async delete(key) {
      const file = fileFor(key);
      await rm(file, { force: true });
      await rm(`${file}.meta.json`, { force: true });
    },

    async signedGetUrl(key, ttlSeconds) {
      return signGet(key, ttlSeconds);
    },

    async signedGetUrls(keys, ttlSeconds) {
      return keys.map((key) => signGet(key, ttlSeconds));
    },

    async signedPutUrl(key, { contentType, maxBytes, ttlSeconds }) {
      assertBlobKey(key);
      const signed = options.signer.signPath({ method: 'PUT', key, contentType, maxBytes }, ttlSeconds);
      return { url: publicBaseUrl + signed, headers: { 'content-type': contentType } };
    },

    async ping() {
      await mkdir(tmp, { recursive: true });
      await access(tmp, constants.W_OK);
    },

    async close() {},
  };
}

function unlessMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
