// What the library scenarios share: signing in as a seeded user, and multipart bodies for uploads.
import { BENCH_SEED_PASSWORD } from '../lib/data-dir.ts';

interface LoginResponse {
  tokens: { accessToken: string };
}

/** Signs in as `demo<n>@example.com` of the seeded dataset; returns the Authorization header. */
export async function signInSeeded(
  baseUrl: string,
  signal: AbortSignal,
  user = 1,
): Promise<{ authorization: string }> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `demo${user}@example.com`, password: BENCH_SEED_PASSWORD }),
    signal,
  });
  if (response.status !== 200) throw new Error(`login returned ${response.status}: ${await response.text()}`);
  const { tokens } = (await response.json()) as LoginResponse;
  return { authorization: `Bearer ${tokens.accessToken}` };
}

/** A multipart/form-data body with one `file` part, as a browser's form upload sends it. */
export function multipartUpload(file: { name: string; type: string; bytes: Buffer }): {
  body: Buffer;
  contentType: string;
} {
  const boundary = `----lectern-bench-${file.bytes.length}`;
  const head =
    `--${boundary}\r\n` +
    `content-disposition: form-data; name="file"; filename="${file.name}"\r\n` +
    `content-type: ${file.type}\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

export interface DocumentSummary {
  id: string;
  status: string;
  pageCount: number | null;
  chunkCount: number | null;
}
