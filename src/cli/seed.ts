import { createProgressBar } from './seed/progress-bar.ts';
import {
  addDocument,
  ensureUser,
  retryWhileBusy,
  waitForProcessing,
  type Tracked,
} from './seed/seed-library.ts';
import { DEFAULT_SEED_PASSWORD, SCALES, seedPlan, type Scale } from './seed/seed-plan.ts';
import type { CourseOutcome } from './seed/seed-courses.ts';
import {
  courseLine,
  seedCourseGraph,
  seedSocialGraph,
  socialLine,
  type SocialWithPhotos,
} from './seed/seed-graphs.ts';
import { runCommand, start } from './startup.ts';

const MAX_USERS = 1000;
const POLL_MS = 500;
/** Give up waiting when no document has finished for this long (no worker running, a stuck job). */
const STALL_MS = 5 * 60_000;

export interface SeedOptions {
  scale?: string | undefined;
  users?: string | undefined;
  password?: string | undefined;
}

function parseOptions(options: SeedOptions): { scale: Scale; users?: number; password: string } | string {
  const scale = options.scale ?? 'small';
  if (!(SCALES as readonly string[]).includes(scale)) return `--scale must be one of ${SCALES.join(', ')}.`;
  const users = options.users === undefined ? undefined : Number(options.users);
  if (users !== undefined && !(Number.isInteger(users) && users >= 1 && users <= MAX_USERS)) {
    return `--users must be a whole number from 1 to ${MAX_USERS}.`;
  }
  const password = options.password ?? DEFAULT_SEED_PASSWORD;
  if (password.length < 8) return '--password must be at least 8 characters.';
  return { scale: scale as Scale, users, password };
}

/**
 * `lectern seed --scale small|medium|large [--users N] [--password P]`: demo accounts and their libraries, created
 * through the same services as the API and processed by the real pipeline. Running it again adds nothing: users
 * are found by email, documents by their bytes.
 */
export function seed(options: SeedOptions): Promise<number> {
  return runCommand(async () => {
    const parsed = parseOptions(options);
    if (typeof parsed === 'string') {
      process.stderr.write(`lectern seed: ${parsed}\n`);
      return 2;
    }
    const { scale, password } = parsed;
    const plan = seedPlan(scale, parsed.users);
    const startedAt = performance.now();
    const { deps, release } = await start({ migrate: true });
    const controller = new AbortController();
    const onSignal = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nlectern seed: stopping (again to quit at once)…\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      // Embedded: this process runs the pipeline, as `serve` does. Fleet: it relays its outbox events and
      // `lectern worker` processes do the work.
      const embedded = deps.config.mode === 'embedded';
      await deps.startBackground({ workers: embedded });
      const bar = createProgressBar(process.stderr);
      const total = plan.reduce((n, u) => n + u.documents.length, 0);
      const tracked: Tracked[] = [];
      const accounts: { email: string; status: string; documents: number }[] = [];
      const owners: { email: string; id: string }[] = [];
      let created = 0;
      for (const user of plan) {
        const outcome = await retryWhileBusy(() => ensureUser(deps, user, password));
        if (outcome.status === 'skipped') {
          accounts.push({ email: user.email, status: `skipped: ${outcome.reason}`, documents: 0 });
          continue;
        }
        owners.push({ email: user.email, id: outcome.actor.id });
        accounts.push({ email: user.email, status: outcome.status, documents: user.documents.length });
        for (const doc of user.documents) {
          if (controller.signal.aborted) return 130;
          const added = await retryWhileBusy(() => addDocument(deps, outcome.actor, doc));
          if (added.created) created++;
          tracked.push({
            actor: outcome.actor,
            id: added.id,
            status: 'queued',
            pages: null,
            chunks: null,
            error: null,
          });
          bar.update(tracked.length, total, `stored (${created} new)`);
        }
      }
      bar.update(tracked.length, total, `stored (${created} new)`, true);
      bar.finish();

      const outcome = await waitForProcessing(deps, tracked, {
        pollMs: POLL_MS,
        stallMs: STALL_MS,
        signal: controller.signal,
        onProgress: (finished, failed) =>
          bar.update(finished, tracked.length, `processed${failed > 0 ? ` (${failed} failed)` : ''}`),
        onStall: (pending) => {
          bar.finish();
          process.stderr.write(
            `lectern seed: ${pending} document(s) waiting for the pipeline` +
              (embedded ? '.\n' : '; is a `lectern worker` process running?\n'),
          );
        },
      });
      bar.update(
        tracked.filter((t) => t.status === 'ready' || t.status === 'failed').length,
        tracked.length,
        'processed',
        true,
      );
      bar.finish();
      if (outcome === 'aborted') return 130;

      const accountIds = owners.map((o) => o.id);
      const social = await seedSocialGraph(deps, scale, plan.length, accountIds, bar);
      const course = await seedCourseGraph(deps, scale, owners[0], bar);
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      process.stdout.write(summary({ scale, password, accounts, tracked, created, seconds, social, course }));
      const failed = tracked.filter((t) => t.status === 'failed');
      for (const t of failed.slice(0, 10)) process.stderr.write(`lectern seed: ${t.id} failed: ${t.error}\n`);
      if (outcome === 'stalled') {
        process.stderr.write(
          `lectern seed: gave up waiting: nothing finished for ${STALL_MS / 60_000} min. ` +
            'Run the seed again to keep waiting; it adds nothing twice.\n',
        );
        return 1;
      }
      return failed.length > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      await deps.close();
      await release();
    }
  });
}

function summary(run: {
  scale: Scale;
  password: string;
  accounts: { email: string; status: string; documents: number }[];
  tracked: Tracked[];
  created: number;
  seconds: string;
  social: SocialWithPhotos | string;
  course: CourseOutcome | string;
}): string {
  const { tracked } = run;
  const count = (status: string) => tracked.filter((t) => t.status === status).length;
  const sum = (key: 'pages' | 'chunks') => tracked.reduce((n, t) => n + (t[key] ?? 0), 0);
  const width = Math.max(...run.accounts.map((a) => a.email.length));
  return [
    `Seeded scale ${run.scale} in ${run.seconds} s: ${run.accounts.length} users, ${tracked.length} documents ` +
      `(${run.created} new), ${count('ready')} ready, ${count('failed')} failed, ${sum('pages')} pages, ` +
      `${sum('chunks')} chunks.`,
    '',
    ...run.accounts.map((a) => `  ${a.email.padEnd(width)}  ${a.documents} documents  (${a.status})`),
    '',
    socialLine(run.social),
    courseLine(run.course),
    '',
    `Password for every account: ${run.password}`,
    run.password === DEFAULT_SEED_PASSWORD
      ? 'These are demo accounts with a published password: do not seed an instance others can reach.'
      : '',
    '',
  ].join('\n');
}
