import type { LoadTarget } from '../scenarios/scenario.ts';

export interface Sample {
  status: number;
  /** From `Server-Timing: db;desc="N statements"`; null when the server sends no such header. */
  sqlStatements: number | null;
}

/** One request like the load loop's, made before the run: checks setup worked and counts SQL. */
export async function sampleRequest(
  baseUrl: string,
  target: LoadTarget,
  signal: AbortSignal,
): Promise<Sample> {
  const response = await fetch(baseUrl + target.path, {
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    signal,
  });
  const body = await response.text();
  if (response.status < 200 || response.status > 299) {
    throw new Error(`sample ${target.method ?? 'GET'} ${target.path} returned ${response.status}: ${body}`);
  }
  const match = /desc="(\d+) statements?"/.exec(response.headers.get('server-timing') ?? '');
  return { status: response.status, sqlStatements: match ? Number(match[1]) : null };
}
