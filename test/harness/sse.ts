import { expect } from 'vitest';

/** One server-sent event block as it arrived: an event with JSON data, or a comment (heartbeat). */
export interface SseFrame {
  event?: string;
  data?: unknown;
  retry?: number;
  comment?: string;
  /** performance.now() when the block was complete. */
  at: number;
}

const FIELD = /^(event|data|retry): ?(.*)$/;

/**
 * Reads an event stream frame by frame as bytes arrive, checking the framing on the way: every block is
 * either comments or `event:` + one `data:` line of JSON (+ optional `retry:`), blocks end with a blank line.
 */
export async function* readSse(response: Response): AsyncGenerator<SseFrame> {
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of response.body!) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      yield parseBlock(block);
    }
  }
  expect(buffered, 'the stream ended inside a block').toBe('');
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = { at: performance.now() };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const match = FIELD.exec(line);
    expect(match, `not an SSE field: ${line}`).not.toBeNull();
    const [, field, value] = match!;
    if (field === 'event') frame.event = value;
    if (field === 'retry') frame.retry = Number(value);
    if (field === 'data') {
      expect(frame.data, 'one data line per event').toBeUndefined();
      frame.data = JSON.parse(value!);
    }
  }
  if (frame.comment === undefined) expect(frame.event && frame.data !== undefined, block).toBeTruthy();
  return frame;
}
