// A bounded traffic loop against 127.0.0.1: a few workers each sending one request after another, every
// answer recorded with the phase the test was in when it was sent and when it came back. It stops by itself
// after `maxRequests` requests or `maxMs`, whichever comes first, or when stop() is called.
import type { HttpResult } from '../e2e/serve-process.ts';

export interface Sample {
  route: string;
  /** Phase when the request was sent, and when its answer (or error) arrived. */
  phase: string;
  endPhase: string;
  /** HTTP status, or 0 when no answer came (connection refused, reset, timeout). */
  status: number;
  /** The problem+json `code`, when the answer is one. */
  code?: string;
  contentType?: string;
  /** The parsed body of a 4xx/5xx answer (problem+json). */
  problem?: unknown;
  error?: string;
  ms: number;
}

export interface Request {
  route: string;
  send: () => Promise<HttpResult>;
}

export interface Traffic {
  samples: Sample[];
  phase(): string;
  setPhase(phase: string): void;
  /** Resolves once `count` answers of requests sent in `phase` have arrived (deadline `deadlineMs`). */
  waitForSamples(phase: string, count: number, deadlineMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `concurrency` workers; worker `w` sends `next(w, i)` for its i-th request. */
export function startTraffic(plan: {
  concurrency: number;
  maxRequests: number;
  maxMs: number;
  next: (worker: number, i: number) => Request;
  phase?: string;
}): Traffic {
  const samples: Sample[] = [];
  let phase = plan.phase ?? 'before';
  let sent = 0;
  let stopped = false;
  const deadline = Date.now() + plan.maxMs;

  async function work(worker: number): Promise<void> {
    for (let i = 0; !stopped && sent < plan.maxRequests && Date.now() < deadline; i++) {
      sent++;
      const { route, send } = plan.next(worker, i);
      const startPhase = phase;
      const started = performance.now();
      try {
        const res = await send();
        const code = (res.json as { code?: unknown } | undefined)?.code;
        samples.push({
          route,
          phase: startPhase,
          endPhase: phase,
          status: res.status,
          code: typeof code === 'string' ? code : undefined,
          contentType: res.headers['content-type'],
          problem: res.status >= 400 ? (res.json ?? res.body.slice(0, 500)) : undefined,
          ms: performance.now() - started,
        });
      } catch (error) {
        samples.push({
          route,
          phase: startPhase,
          endPhase: phase,
          status: 0,
          error: (error as Error).message,
          ms: performance.now() - started,
        });
      }
    }
  }

  const workers = Array.from({ length: plan.concurrency }, (_, w) => work(w));
  const all = Promise.all(workers);

  return {
    samples,
    phase: () => phase,
    setPhase(next) {
      phase = next;
    },
    async waitForSamples(which, count, deadlineMs) {
      const until = Date.now() + deadlineMs;
      const have = () => samples.filter((s) => s.phase === which).length;
      while (have() < count) {
        if (Date.now() > until || sent >= plan.maxRequests || Date.now() > deadline) {
          throw new Error(`only ${have()} of ${count} answers in phase "${which}" (traffic bounds reached)`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      stopped = true;
      await all;
    },
  };
}

/** Samples whose request was sent and answered within one phase. */
export function within(samples: Sample[], phase: string): Sample[] {
  return samples.filter((s) => s.phase === phase && s.endPhase === phase);
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * One line per phase and route: counts per status (and problem code), latency p50/p95/max. Phases in the
 * order they first appear.
 */
export function report(title: string, samples: Sample[]): string {
  const phases = [...new Set(samples.map((s) => s.phase))];
  const lines = [`${title}: ${samples.length} requests`];
  for (const phase of phases) {
    const inPhase = samples.filter((s) => s.phase === phase);
    lines.push(`  ${phase} (${inPhase.length} requests)`);
    for (const route of [...new Set(inPhase.map((s) => s.route))]) {
      const ofRoute = inPhase.filter((s) => s.route === route);
      const counts = new Map<string, number>();
      for (const s of ofRoute) {
        const key = s.status === 0 ? 'no answer' : s.code ? `${s.status} ${s.code}` : String(s.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const ms = ofRoute.map((s) => s.ms).sort((a, b) => a - b);
      const statuses = [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
      lines.push(
        `    ${route.padEnd(26)} ${String(ofRoute.length).padStart(4)}  [${statuses}]  ` +
          `p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, ` +
          `max ${(ms.at(-1) ?? 0).toFixed(1)} ms`,
      );
    }
  }
  return lines.join('\n');
}
