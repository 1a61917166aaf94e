import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadTarget } from '../scenarios/scenario.ts';

export interface Sample {
  status: number;
  /** From `Server-Timing: db;desc="N statements"`; null when the server sends no such header. */
  sqlStatements: number | null;
  /** The `Server-Timing` header as sent (stages and durations), null when absent. */
  serverTiming: string | null;
}

/** A 503 (busy, overloaded) before the load starts is retried this many times, a second apart. */
const BUSY_RETRIES = 5;

/** One request like the load loop's, made before the run: checks setup worked and counts SQL. */
export async function sampleRequest(
  baseUrl: string,
  target: LoadTarget,
  signal: AbortSignal,
): Promise<Sample> {
  const path = target.nextPath?.() ?? target.path;
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(baseUrl + path, {
      method: target.method ?? 'GET',
      headers: target.headers,
      body: target.body,
      signal,
    });
    const body = await response.text();
    if (response.status === 503 && attempt < BUSY_RETRIES) {
      await sleep(1000, undefined, { signal });
      continue;
    }
    if (response.status < 200 || response.status > 299) {
      throw new Error(`sample ${target.method ?? 'GET'} ${path} returned ${response.status}: ${body}`);
    }
    const serverTiming = response.headers.get('server-timing');
    const match = /desc="(\d+) statements?"/.exec(serverTiming ?? '');
    return { status: response.status, sqlStatements: match ? Number(match[1]) : null, serverTiming };
  }
}
