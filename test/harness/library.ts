import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './test-app.ts';

export interface UploadedDocument {
  id: string;
  title: string;
  fileName: string | null;
  mime: string;
  byteSize: number;
  sha256: string;
  status: string;
  stageProgress: number;
  error: string | null;
  pageCount: number | null;
  chunkCount: number | null;
  embedding: string | null;
  tags: string[];
  duplicateOf?: string | null;
}

export interface FilePart {
  name?: string;
  fileName: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body: text fields, then files, in the order given. */
export function multipart(fields: Record<string, string>, files: FilePart[]) {
  const boundary = `----lectern${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.name ?? 'file'}"; filename="${file.fileName}"\r\n` +
          `content-type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

let seq = 0;

export async function registerUser(t: TestApp): Promise<{ id: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: {
      email: `lib${++seq}-${randomBytes(4).toString('hex')}@example.com`,
      password: 'correct horse battery',
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { user, tokens } = res.json<{ user: { id: string }; tokens: { accessToken: string } }>();
  return { id: user.id, token: tokens.accessToken };
}

export function upload(
  t: TestApp,
  token: string,
  file: FilePart,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const body = multipart(fields, [file]);
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/documents',
    headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType, ...headers },
    payload: body.payload,
  });
}

export function get(t: TestApp, token: string, url: string) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

/** Follows the document's event stream to its end; the events in order. */
export async function followEvents(t: TestApp, token: string, id: string) {
  const res = await get(t, token, `/api/v1/documents/${id}/events`);
  expect(res.statusCode, res.body).toBe(200);
  return res.body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length)) as {
          status: string;
          stageProgress: number;
          error: string | null;
        },
      };
    });
}

/** Waits (through the event stream) until the document is ready or failed, and returns it. */
export async function settle(t: TestApp, token: string, id: string): Promise<UploadedDocument> {
  const events = await followEvents(t, token, id);
  expect(['ready', 'failed']).toContain(events.at(-1)?.event);
  const res = await get(t, token, `/api/v1/documents/${id}`);
  expect(res.statusCode).toBe(200);
  return res.json<UploadedDocument>();
}

export function statementsOf(res: { headers: Record<string, unknown> }): number {
  const match = String(res.headers['server-timing']).match(/desc="(\d+) statements"/);
  if (!match) throw new Error(`No statement count in ${String(res.headers['server-timing'])}`);
  return Number(match[1]);
}
