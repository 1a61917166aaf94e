import { createProgressBar, secondsSince } from './seed/progress-bar.ts';
import {
  addDocument,
  ensureUser,
  retryWhileBusy,
  waitForProcessing,
  type Tracked,
} from './seed/seed-library.ts';
import { DEFAULT_SEED_PASSWORD, SCALES, seedPlan, type Scale, type SeedDocument } from './seed/seed-plan.ts';
import type { CourseOutcome } from './seed/seed-courses.ts';
import {
  courseLine,
  seedCourseGraph,
  seedSocialGraph,
  socialLine,
  type SocialWithPhotos,
} from './seed/seed-graphs.ts';
import type { BulkOwner } from './seed/bulk-plan.ts';
import { seedBulkCorpus, type BulkOutcome } from './seed/seed-bulk.ts';
import { bulkLine, tookLine, type Took } from './seed/seed-report.ts';
import { runCommand, start } from './startup.ts';
import type { Actor } from '../modules/users/index.ts';

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
      const bar = createProgressBar(process.stderr);
      const accounts: { email: string; status: string; documents: number }[] = [];
      const owners: BulkOwner[] = [];
      const libraries: { actor: Actor; documents: SeedDocument[] }[] = [];
      for (const [index, user] of plan.entries()) {
        const outcome = await retryWhileBusy(() => ensureUser(deps, user, password));
        if (outcome.status === 'skipped') {
          accounts.push({ email: user.email, status: `skipped: ${outcome.reason}`, documents: 0 });
          continue;
        }
        owners.push({ email: user.email, id: outcome.actor.id, index });
        accounts.push({ email: user.email, status: outcome.status, documents: user.documents.length });
        libraries.push({ actor: outcome.actor, documents: user.documents });
      }

      // Before the workers start: the bulk load and its index builds then have the database to themselves.
      const bulk = await seedBulkCorpus(deps, scale, owners, { bar, signal: controller.signal });
      if (bulk === 'aborted') return 130;

      // Embedded: this process runs the pipeline, as `serve` does. Fleet: it relays its outbox events and
      // `lectern worker` processes do the work.
      const libraryStartedAt = performance.now();
      const embedded = deps.config.mode === 'embedded';
      await deps.startBackground({ workers: embedded });
      const total = libraries.reduce((n, l) => n + l.documents.length, 0);
      const tracked: Tracked[] = [];
      let created = 0;
      for (const { actor, documents } of libraries) {
        for (const doc of documents) {
          if (controller.signal.aborted) return 130;
          const added = await retryWhileBusy(() => addDocument(deps, actor, doc));
          if (added.created) created++;
          tracked.push({ actor, id: added.id, status: 'queued', pages: null, chunks: null, error: null });
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

      const librarySeconds = secondsSince(libraryStartedAt);

      const socialStartedAt = performance.now();
      const social = await seedSocialGraph(
        deps,
        scale,
        plan.length,
        owners.map((o) => o.id),
        bar,
      );
      const socialSeconds = secondsSince(socialStartedAt);
      const courseStartedAt = performance.now();
      const course = await seedCourseGraph(deps, scale, owners[0], bar);
      const took = {
        bulk: bulk.seconds,
        library: librarySeconds,
        social: socialSeconds,
        course: secondsSince(courseStartedAt),
        all: secondsSince(startedAt),
      };
      process.stdout.write(
        summary({ scale, password, accounts, tracked, created, bulk, took, social, course }),
      );
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
  bulk: BulkOutcome;
  took: Took;
  social: SocialWithPhotos | string;
  course: CourseOutcome | string;
}): string {
  const { tracked } = run;
  const count = (status: string) => tracked.filter((t) => t.status === status).length;
  const sum = (key: 'pages' | 'chunks') => tracked.reduce((n, t) => n + (t[key] ?? 0), 0);
  const width = Math.max(...run.accounts.map((a) => a.email.length));
  return [
    `Seeded scale ${run.scale} in ${run.took.all} s: ${run.accounts.length} users, ${tracked.length} documents ` +
      `(${run.created} new), ${count('ready')} ready, ${count('failed')} failed, ${sum('pages')} pages, ` +
      `${sum('chunks')} chunks.`,
    bulkLine(run.bulk),
    '',
    ...run.accounts.map((a) => `  ${a.email.padEnd(width)}  ${a.documents} documents  (${a.status})`),
    '',
    socialLine(run.social),
    courseLine(run.course),
    tookLine(run.took),
    '',
    `Password for every account: ${run.password}`,
    run.password === DEFAULT_SEED_PASSWORD
      ? 'These are demo accounts with a published password: do not seed an instance others can reach.'
      : '',
    '',
  ].join('\n');
}
