const WIDTH = 24;
const TTY_REFRESH_MS = 100;
const PLAIN_EVERY_MS = 5_000;

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * One status line on stderr: redrawn in place on a terminal (at most ten times a second), and as a plain line
 * every few seconds when the output is a file or a pipe, so logs stay readable.
 */
export function createProgressBar(
  out: ProgressOutput,
  options: { now?: () => number; plainEveryMs?: number } = {},
) {
  const now = options.now ?? (() => performance.now());
  const plainEveryMs = options.plainEveryMs ?? PLAIN_EVERY_MS;
  const startedAt = now();
  let lastDrawn = -Infinity;
  let drawnOnTty = false;

  const line = (done: number, total: number, detail: string) => {
    const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
    const elapsed = Math.round((now() - startedAt) / 1000);
    return `seed ${bar} ${done}/${total} ${detail} · ${elapsed} s`;
  };

  return {
    /** Shows `done` of `total`; `force` draws even when the last draw was moments ago. */
    update(done: number, total: number, detail: string, force = false): void {
      const at = now();
      if (!force && at - lastDrawn < (out.isTTY ? TTY_REFRESH_MS : plainEveryMs)) return;
      lastDrawn = at;
      const text = line(done, total, detail);
      if (out.isTTY) {
        out.write(`\r${text.slice(0, (out.columns || 80) - 1)}\x1b[K`);
        drawnOnTty = true;
      } else {
        out.write(`${text}\n`);
      }
    },
    /** Ends the line, so what is printed next starts on its own. */
    finish(): void {
      if (drawnOnTty) out.write('\n');
      drawnOnTty = false;
    },
  };
}

/** Seconds since `start` (a `performance.now()` reading), to a tenth. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 100) / 10;
}
