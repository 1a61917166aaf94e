// `lectern worker` as a child process (serve-process.ts covers `serve` and one-shot commands): its stdout
// parsed into log lines, started processes remembered by PID and killed by killWorkers() after the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  baseEnv,
  collectOutput,
  pollUntil,
  ROOT,
  withDeadline,
  type Exit,
  type LogLine,
} from '../e2e/serve-process.ts';

export interface WorkerProcess {
  pid: number;
  lines: LogLine[];
  stderr(): string;
  running(): boolean;
  waitForLine(predicate: (line: LogLine) => boolean, deadlineMs?: number): Promise<LogLine>;
  /** Sends `signal`, waits up to `deadlineMs` for the exit, then SIGKILL. */
  stop(signal?: NodeJS.Signals, deadlineMs?: number): Promise<Exit>;
}

const started = new Map<number, { child: ChildProcess; exited: Promise<Exit> }>();

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function stopPid(pid: number, signal: NodeJS.Signals, deadlineMs: number): Promise<Exit> {
  const entry = started.get(pid);
  if (!entry) return { code: null, signal: null };
  if (isRunning(entry.child)) process.kill(pid, signal);
  let exit = await withDeadline(entry.exited, deadlineMs, 'deadline').catch(() => undefined);
  if (!exit) {
    if (isRunning(entry.child)) process.kill(pid, 'SIGKILL');
    exit = await entry.exited;
  }
  started.delete(pid);
  return exit;
}

/** Kills (SIGKILL, by PID) every worker this module started that still runs. */
export async function killWorkers(): Promise<void> {
  await Promise.all([...started.keys()].map((pid) => stopPid(pid, 'SIGKILL', 10_000)));
}

/** Starts `lectern worker` and waits for its "worker started" line (fails with its output if it exits first). */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['bin/lectern.js', 'worker'], {
    cwd: ROOT,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed: no pid');
  const pid = child.pid;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  started.set(pid, { child, exited });

  const { lines, stderr } = collectOutput(child);

  const waitForLine = (predicate: (line: LogLine) => boolean, deadlineMs = 10_000) =>
    pollUntil(
      'a worker log line',
      () => {
        const line = lines.find(predicate);
        if (line) return line;
        if (!isRunning(child)) throw new Error(`worker pid ${pid} exited:\n${stderr()}`);
        return undefined;
      },
      deadlineMs,
      10,
    );
  await waitForLine((l) => l.msg === 'worker started', 60_000);

  return {
    pid,
    lines,
    stderr,
    running: () => isRunning(child),
    waitForLine,
    stop: (signal = 'SIGTERM', deadlineMs = 30_000) => stopPid(pid, signal, deadlineMs),
  };
}
