import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const TAIL_LINES = 30;
const KILL_AFTER_MS = 15_000;

export interface Child {
  name: string;
  pid: number;
  /** Output lines seen so far (stdout + stderr); a scenario diffs it to count lines logged during load. */
  lineCount(): number;
  tail(): string[];
  exited(): boolean;
  /** SIGTERM to this pid, SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Starts `node <args>` with this process' Node binary and flags. */
export function spawnNode(
  name: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Child {
  const proc = spawn(process.execPath, [...process.execArgv, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = proc.pid;
  live.add(proc);
  const exit = once(proc, 'exit').finally(() => live.delete(proc));
  exit.catch(() => {}); // 'exit' never rejects; a spawn 'error' surfaces through exited() and the tail

  const lines: string[] = [];
  let count = 0;
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      count++;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    });
  }

  return {
    name,
    pid,
    lineCount: () => count,
    tail: () => [...lines],
    exited: () => proc.exitCode !== null || proc.signalCode !== null,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      signal(pid, 'SIGTERM');
      const timer = setTimeout(() => signal(pid, 'SIGKILL'), KILL_AFTER_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Last resort on process exit (must be synchronous): SIGKILL every child still running, by pid. */
export function killAllChildrenSync(): void {
  for (const proc of live) {
    if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null)
      signal(proc.pid, 'SIGKILL');
  }
}
