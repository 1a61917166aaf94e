import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { generatePdf, sampleProse } from '../fixtures/pdfs.ts';
import { settle, upload, type UploadedDocument } from './library.ts';
import type { TestApp } from './test-app.ts';

/** The fact a chat must find, quote and cite: it sits on page 3 of the handbook. */
export const FACT =
  'Refunds for annual plans are issued within fourteen days of a written cancellation request.';
export const FACT_PAGE = 3;
/** A question every retrieval mode finds the fact for (all its content words are in it). */
export const QUESTION = 'When are refunds for annual plans issued after a written cancellation request?';

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'interrupted';
  engine: 'llm' | 'extractive' | null;
  model: string | null;
  notice: string | null;
  citations: {
    marker: number;
    documentId: string;
    title: string;
    page: number;
    chunkId: string;
    quote: string;
  }[];
}

/** A four-page handbook PDF with the fact on page 3, amid prose long enough for chunks to span pages. */
export async function uploadHandbook(t: TestApp, token: string): Promise<string> {
  const pdf = await generatePdf({
    pages: 4,
    textForPage: (page) =>
      page === FACT_PAGE
        ? `${sampleProse(page * 31, 3)}\n\n${FACT}\n\n${sampleProse(page * 37, 3)}`
        : `${sampleProse(page * 31, 4)}\n\n${sampleProse(page * 37, 4)}`,
  });
  const res = await upload(t, token, { fileName: 'handbook.pdf', contentType: 'application/pdf', data: pdf });
  expect(res.statusCode, res.body).toBe(201);
  const { id } = res.json<UploadedDocument>();
  expect((await settle(t, token, id)).status).toBe('ready');
  return id;
}

export async function createConversation(t: TestApp, token: string, body: object = {}): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export function ask(t: TestApp, token: string, conversationId: string, content: string) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { authorization: `Bearer ${token}` },
    payload: { content },
  });
}

/** The app on a real listening socket (inject() buffers whole responses, hiding streaming). */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export function askStreaming(
  base: string,
  token: string,
  conversationId: string,
  content: string,
  signal?: AbortSignal,
) {
  return fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ content }),
    signal,
  });
}

/** The chunk a citation names, fetched through the documents API (so it must be real and the owner's). */
export async function citedChunk(t: TestApp, token: string, documentId: string, chunkId: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/documents/${documentId}/chunks?limit=100`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  const chunks = res.json<{ items: { id: string; pageFrom: number; pageTo: number; text: string }[] }>()
    .items;
  return chunks.find((c) => c.id === chunkId);
}
