// End-to-end helpers: `lectern` CLI processes spawned the way an operator runs them (node bin/lectern.js …),
// with their output collected, and plain node:http requests to 127.0.0.1. Every process started here is
// remembered by PID and killed when the test ends (onTestFinished) or by killAllProcesses() in afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { copyDataDir } from '../harness/pglite-template.ts';
import { freePort } from '../harness/servers.ts';
import { testEnv } from '../harness/env.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const READY_DEADLINE_MS = 60_000;

/** One stdout line of a Lectern process: pino JSON when it parses, else `{ raw }`. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Tracked {
  child: ChildProcess;
  exited: Promise<Exit>;
}

const running = new Map<number, Tracked>();

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills one process by its PID (SIGKILL) and waits until it is gone. */
async function killTracked(pid: number): Promise<void> {
  const tracked = running.get(pid);
  if (!tracked) return;
  if (isRunning(tracked.child)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await withDeadline(tracked.exited, 10_000, `pid ${pid} did not exit after SIGKILL`).catch(() => undefined);
  running.delete(pid);
}

/** Kills every process this module started that is still running (use in afterEach). */
export async function killAllProcesses(): Promise<void> {
  await Promise.all([...running.keys()].map((pid) => killTracked(pid)));
}

function killOnTestEnd(pid: number): void {
  try {
    onTestFinished(() => killTracked(pid));
  } catch {
    // not inside a test (e.g. beforeAll): the file's afterEach/afterAll calls killAllProcesses()
  }
}

/** An environment with nothing from the developer's shell that Lectern reads (no stray DATABASE_URL). */
export function baseEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LOG_LEVEL: 'info',
    ...env,
  };
}

function track(child: ChildProcess): Tracked {
  if (child.pid === undefined) throw new Error('spawn failed: no pid');
  const exited = new Promise<Exit>((resolve) => {
    // 'close': stdout and stderr are fully read by then.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const tracked = { child, exited };
  running.set(child.pid, tracked);
  killOnTestEnd(child.pid);
  return tracked;
}

export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value other than undefined, or throws after the deadline. */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  deadlineMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------------
// One-shot commands (migrate, doctor, backup, restore, a serve expected to refuse)
// ---------------------------------------------------------------------------------------------------------

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the deadline passed and the process had to be killed. */
  timedOut: boolean;
  /** With `exitSoonAfter`: ms from the completion message to the exit (or to the kill). */
  afterDoneMs?: number;
}

/** Runs `node bin/lectern.js …args` to completion (killed by PID after `deadlineMs`). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  options: {
    deadlineMs?: number;
    node?: string;
    /** Once stdout matches `pattern` (the command says it is done), allow only `ms` more for the exit. */
    exitSoonAfter?: { pattern: RegExp; ms: number };
  } = {},
): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(options.node ?? process.execPath, ['bin/lectern.js', ...args], {
    cwd: ROOT,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadlineMs = options.deadlineMs ?? 60_000;
  const done = options.exitSoonAfter;
  let timedOut = false;
  let doneAt: number | undefined;
  let exit: Exit;
  try {
    if (done) {
      const saidDone = () => done.pattern.test(stdout);
      await pollUntil(
        'the command to finish',
        () => (saidDone() || !isRunning(child) ? true : undefined),
        deadlineMs,
      );
      if (saidDone()) doneAt = performance.now();
      exit = await withDeadline(tracked.exited, saidDone() ? done.ms : deadlineMs, 'deadline');
    } else {
      exit = await withDeadline(tracked.exited, deadlineMs, 'deadline');
    }
  } catch {
    timedOut = true;
    await killTracked(child.pid!);
    exit = await tracked.exited;
  }
  running.delete(child.pid!);
  const afterDoneMs = doneAt === undefined ? undefined : Math.round(performance.now() - doneAt);
  return { ...exit, stdout, stderr, ms: Math.round(performance.now() - started), timedOut, afterDoneMs };
}

// ---------------------------------------------------------------------------------------------------------
// `lectern serve`
// ---------------------------------------------------------------------------------------------------------

export interface ServeProcess {
  url: string;
  port: number;
  pid: number;
  /** stdout, one entry per line, parsed. */
  lines: LogLine[];
  stderr(): string;
  /** The startupMs of the "Lectern listening" line. */
  startupMs: number;
  exited: Promise<Exit>;
  running(): boolean;
  /** Sends `signal` and waits (up to `deadlineMs`, then SIGKILL) for the exit; `ms` from signal to exit. */
  stop(signal?: NodeJS.Signals, deadlineMs?: number): Promise<Exit & { ms: number; timedOut: boolean }>;
  /** Resolves with the first log line matching, polling until `deadlineMs`. */
  waitForLine(predicate: (line: LogLine) => boolean, deadlineMs?: number): Promise<LogLine>;
}

export interface SpawnedServe {
  pid: number;
  port: number;
  lines: LogLine[];
  stderr(): string;
  exited: Promise<Exit>;
  child: ChildProcess;
}

/** Spawns `lectern serve` on a free port without waiting for anything. */
export async function spawnServe(env: Record<string, string>): Promise<SpawnedServe> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['bin/lectern.js', 'serve'], {
    cwd: ROOT,
    env: baseEnv({ HOST: '127.0.0.1', PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  const { lines, stderr } = collectOutput(child);
  return { pid: child.pid!, port, lines, stderr, exited: tracked.exited, child };
}

/**
 * Starts `lectern serve` and waits until GET /health/ready answers 200 (deadline 60 s). Fails with the
 * process' output when it exits first. Retries once on a new port if another process took the one picked.
 */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  for (let attempt = 1; ; attempt++) {
    const spawned = await spawnServe(env);
    try {
      return await waitReady(spawned);
    } catch (error) {
      await killTracked(spawned.pid);
      if (attempt < 3 && !env.PORT && /EADDRINUSE/.test(spawned.stderr())) continue;
      throw error;
    }
  }
}

async function waitReady(spawned: SpawnedServe): Promise<ServeProcess> {
  const { child, pid, port, lines } = spawned;
  const url = `http://127.0.0.1:${port}`;
  const describe = () =>
    `serve pid ${pid} (exit ${child.exitCode ?? child.signalCode ?? 'none'})\n--- stderr ---\n` +
    `${spawned.stderr()}\n--- stdout ---\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (!isRunning(child)) throw new Error(`exited before it was ready: ${describe()}`);
    const response = await request(`${url}/health/ready`, { timeoutMs: 5000 }).catch(() => undefined);
    if (response?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`not ready within ${READY_DEADLINE_MS} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const listening = await pollUntil(
    'the "Lectern listening" log line',
    () => lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Lectern listening on')),
    10_000,
  );

  const waitForLine = (predicate: (line: LogLine) => boolean, deadlineMs = 10_000) =>
    pollUntil('a log line', () => lines.find(predicate), deadlineMs, 10);

  return {
    url,
    port,
    pid,
    lines,
    stderr: spawned.stderr,
    startupMs: Number(listening.startupMs),
    exited: spawned.exited,
    running: () => isRunning(child),
    waitForLine,
    async stop(signal: NodeJS.Signals = 'SIGTERM', deadlineMs = 30_000) {
      const started = performance.now();
      if (isRunning(child)) process.kill(pid, signal);
      let timedOut = false;
      let exit: Exit;
      try {
        exit = await withDeadline(spawned.exited, deadlineMs, 'deadline');
      } catch {
        timedOut = true;
        await killTracked(pid);
        exit = await spawned.exited;
      }
      const ms = Math.round(performance.now() - started);
      running.delete(pid);
      return { ...exit, ms, timedOut };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP and data dirs
// ---------------------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

/** One HTTP request over node:http (a fresh connection unless `agent` is given). */
export function request(
  url: string,
  options: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    agent?: http.Agent;
    timeoutMs?: number;
  } = {},
): Promise<HttpResult> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? (payload ? 'POST' : 'GET'),
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 30_000,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${url}: no answer within ${options.timeoutMs ?? 30_000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Session {
  user: { id: string; email: string };
  tokens: { accessToken: string; refreshToken: string };
}

export async function register(url: string, email: string, password: string): Promise<Session> {
  const response = await request(`${url}/api/v1/auth/register`, { body: { email, password } });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${response.body}`);
  return response.json as Session;
}

export function login(url: string, email: string, password: string): Promise<HttpResult> {
  return request(`${url}/api/v1/auth/login`, { body: { email, password } });
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Temporary dirs made by a test file; removed by removeTempDirs() in afterEach. */
const tempDirs = new Set<string>();

export function rememberTempDir(dir: string): string {
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs.clear();
}

/** A copy of the migrated PGlite template data dir (fast start), removed after the test. */
export async function templateDataDir(): Promise<string> {
  return rememberTempDir(await copyDataDir(testEnv().pgliteTemplate()));
}

/** path → sha256 of every file under `dir`: equal snapshots mean nothing was written. */
export async function snapshotFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const hash = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
        files.set(path.relative(dir, full), `${hash}:${(await stat(full)).mtimeMs}`);
      }
    }
  };
  await walk(dir);
  return files;
}

/** Parses a child's stdout into log lines (JSON, or `{ raw }` where a line is not JSON) and keeps its stderr. */
export function collectOutput(child: ChildProcess): { lines: LogLine[]; stderr: () => string } {
  const lines: LogLine[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      if (text.trim() === '') continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ raw: text });
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return { lines, stderr: () => stderr };
}
