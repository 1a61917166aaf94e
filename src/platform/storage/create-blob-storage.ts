import path from 'node:path';
import type { Config } from '../../config.ts';
import type { BlobStorage } from './blob-storage.ts';
import { createLocalStorage } from './local-storage.ts';
import { createS3Storage } from './s3-storage.ts';
import { createUrlSigner } from './url-signer.ts';

/** S3-compatible storage when S3_BUCKET is set (fleet), else files under DATA_DIR/files (embedded). */
export function createBlobStorage(
  config: Config,
  options: { signingSecret: string; observe?: (operation: string, seconds: number) => void },
): BlobStorage {
  if (config.s3) return createS3Storage(config.s3, { observe: options.observe });
  return createLocalStorage({
    root: path.join(config.dataDir, 'files'),
    signer: createUrlSigner(options.signingSecret),
  });
}
