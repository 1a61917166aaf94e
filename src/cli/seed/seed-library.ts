import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DocumentsService, UploadsService } from '../../modules/documents/index.ts';
import type { Actor, UsersService } from '../../modules/users/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { SeedDocument, SeedUser } from './seed-plan.ts';

/** The seed goes through the same use cases as the API: accounts, uploads, stories. */
export interface SeedDeps {
  users: Pick<UsersService, 'register' | 'login'>;
  documents: Pick<DocumentsService, 'get'>;
  uploads: Pick<UploadsService, 'stageUpload' | 'createFromUpload' | 'createStory'>;
}

const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 1_000;

/**
 * Runs `work` again while the database answers DB_BUSY, as an API client honouring `Retry-After` would: in
 * embedded mode the pipeline's workers share PGlite's one session with the seed. Safe because every step is
 * idempotent (users by email, documents by their bytes).
 */
export async function retryWhileBusy<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'DB_BUSY') || attempt >= BUSY_RETRIES) throw error;
      await sleep(BUSY_WAIT_MS);
    }
  }
}

export type UserOutcome =
  | { email: string; status: 'created' | 'existing'; actor: Actor }
  | { email: string; status: 'skipped'; reason: string };

/** Registers the user, or signs in to the one a previous seed made (same email, same password). */
export async function ensureUser(deps: SeedDeps, user: SeedUser, password: string): Promise<UserOutcome> {
  const { email, displayName } = user;
  try {
    const registered = await deps.users.register({ email, password, displayName });
    return { email, status: 'created', actor: registered.user };
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'USER_EMAIL_TAKEN')) throw error;
  }
  try {
    const signedIn = await deps.users.login({ email, password, ip: '127.0.0.1' });
    return { email, status: 'existing', actor: signedIn.user };
  } catch (error) {
    if (!(error instanceof AppError && error.status < 500)) throw error;
    return { email, status: 'skipped', reason: `exists with another password (${error.code})` };
  }
}

/** Stores one document through the upload path (or the story path); the same bytes again find the existing one. */
export async function addDocument(
  deps: SeedDeps,
  actor: Actor,
  doc: SeedDocument,
): Promise<{ id: string; created: boolean }> {
  const fields = { title: doc.title, tags: doc.tags };
  if (doc.kind === 'story') {
    const story = await deps.uploads.createStory(actor, { ...fields, text: doc.text() });
    return { id: story.document.id, created: story.duplicateOf === null };
  }
  const staged = await deps.uploads.stageUpload(actor, Readable.from([await doc.render()]), {
    mimetype: doc.mime,
    fileName: doc.fileName,
  });
  const upload = await deps.uploads.createFromUpload(actor, staged, { ...fields, kind: 'document' });
  return { id: upload.document.id, created: upload.duplicateOf === null };
}

export interface Tracked {
  actor: Actor;
  id: string;
  status: string;
  pages: number | null;
  chunks: number | null;
  error: string | null;
}

const TERMINAL = new Set(['ready', 'failed']);
/** Documents are processed roughly in the order they were stored: look at the oldest pending ones first. */
const CHECKS_PER_ROUND = 100;

/**
 * Polls the documents' status (from the database, as the API would) until each is ready or failed. Gives up when
 * nothing has finished for `stallMs` (no worker running, a stuck job) or when `signal` aborts.
 */
export async function waitForProcessing(
  deps: SeedDeps,
  tracked: Tracked[],
  options: {
    pollMs: number;
    stallMs: number;
    signal: AbortSignal;
    onProgress: (finished: number, failed: number) => void;
    onStall?: (pending: number) => void;
  },
): Promise<'done' | 'stalled' | 'aborted'> {
  let lastChangeAt = performance.now();
  let warned = false;
  for (;;) {
    const pending = tracked.filter((t) => !TERMINAL.has(t.status));
    for (const t of pending.slice(0, CHECKS_PER_ROUND)) {
      if (options.signal.aborted) return 'aborted';
      const row = await retryWhileBusy(() => deps.documents.get(t.actor, t.id));
      if (row.status !== t.status) lastChangeAt = performance.now();
      Object.assign(t, {
        status: row.status,
        pages: row.page_count,
        chunks: row.chunk_count,
        error: row.error,
      });
    }
    const finished = tracked.filter((t) => TERMINAL.has(t.status));
    options.onProgress(finished.length, finished.filter((t) => t.status === 'failed').length);
    if (finished.length === tracked.length) return 'done';
    const quietMs = performance.now() - lastChangeAt;
    if (quietMs > options.stallMs) return 'stalled';
    if (!warned && quietMs > options.stallMs / 4) {
      warned = true;
      options.onStall?.(tracked.length - finished.length);
    }
    try {
      await sleep(options.pollMs, undefined, { signal: options.signal });
    } catch {
      return 'aborted';
    }
  }
}
