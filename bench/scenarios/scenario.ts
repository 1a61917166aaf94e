import type { RunningServer, ServerSpec } from '../lib/servers.ts';

/** What a scenario's setup may use: the server it asked for, already up and ready. */
export interface ScenarioContext {
  baseUrl: string;
  /** Unique per invocation; use it to make emails and other unique keys. */
  runId: string;
  signal: AbortSignal;
}

/** The one request the load loop repeats (always against 127.0.0.1). */
export interface LoadTarget {
  path: string;
  /** When set, each request of the load loop asks for its path (e.g. rotating queries); `path` is the first. */
  nextPath?: () => string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Scenario<N extends string = string> {
  name: N;
  description: string;
  /** Scenarios with equal specs share one server process, started once. */
  server: ServerSpec;
  /** A fixed concurrency instead of `--connections`, for a scenario about one client's latency. */
  connections?: number;
  setup(ctx: ScenarioContext): Promise<LoadTarget>;
}

/** Keeps the literal `name`, so the registry can derive the union of scenario names. */
export function defineScenario<const N extends string>(scenario: Scenario<N>): Scenario<N> {
  return scenario;
}

/** One figure a timed scenario reports (pages per minute, seconds…). */
export interface Measurement {
  label: string;
  value: number;
  unit: string;
}

/** A scenario measured once end to end instead of under request load (ingestion throughput). */
export interface TimedScenario<N extends string = string> {
  name: N;
  description: string;
  server: ServerSpec;
  measure(ctx: TimedContext): Promise<Measurement[]>;
}

/** A timed scenario may also start servers of its own (e.g. to time startup); it stops them. */
export interface TimedContext extends ScenarioContext {
  /** Starts one more server in this run's mode, on fresh data; the caller stops it. */
  startServer(spec: ServerSpec): Promise<RunningServer>;
}

export function defineTimedScenario<const N extends string>(scenario: TimedScenario<N>): TimedScenario<N> {
  return scenario;
}
