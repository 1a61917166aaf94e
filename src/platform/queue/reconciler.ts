import type { Logger } from '../observability/logger.ts';

/** Finds work whose heartbeat went quiet (its job was lost) and re-enqueues it; returns how many it revived. */
export type Sweep = () => Promise<number>;

/**
 * Runs the sweeps modules register, at start and then every `intervalMs`, in processes that run workers. The
 * database is the source of truth and a lost queue loses nothing: this is what finds what the queue forgot.
 */
export function createReconciler(deps: { intervalMs: number; logger: Logger }) {
  const sweeps = new Map<string, Sweep>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function runOnce(): Promise<void> {
    for (const [name, sweep] of sweeps) {
      try {
        const revived = await sweep();
        if (revived > 0) deps.logger.warn({ sweep: name, revived }, 're-enqueued stalled work');
      } catch (error) {
        deps.logger.warn({ err: error, sweep: name }, 'reconcile sweep failed; will try again');
      }
    }
  }

  const tick = () => {
    running ??= runOnce().finally(() => (running = undefined));
    return running;
  };

  return {
    register(name: string, sweep: Sweep): void {
      sweeps.set(name, sweep);
    },
    runOnce: tick,
    start(): void {
      void tick();
      timer = setInterval(() => void tick(), deps.intervalMs);
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
