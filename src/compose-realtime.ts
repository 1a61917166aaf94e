import type { Config } from './config.ts';
import { progressChannel, type DocumentsService } from './modules/documents/index.ts';
import {
  COURSE_JOB_ID,
  courseJobProgress,
  DECK_JOB_ID,
  deckJobProgress,
  jobChannel,
  type Generation,
} from './modules/generation/index.ts';
import { createRealtime, ownUserSource, progressSource } from './modules/realtime/index.ts';
import type { Logger } from './platform/observability/logger.ts';
import type { Metrics } from './platform/observability/metrics.ts';
import type { PubSub } from './platform/pubsub/pubsub.ts';

/** The WebSocket's channels and who may follow each, wired for the composition root (deps.ts). */
export function composeRealtime(deps: {
  config: Config;
  pubsub: PubSub;
  metrics: Metrics;
  logger: Logger;
  documents: Pick<DocumentsService, 'progress'>;
  generation: Pick<Generation, 'courses' | 'presentations'>;
}) {
  const { generation } = deps;
  const realtime = createRealtime({ ...deps, settings: deps.config.realtime });
  realtime.channels.register('user', ownUserSource);
  const documentProgress = progressSource({
    read: (actor, id) => deps.documents.progress(actor, id),
    topic: progressChannel,
  });
  realtime.channels.register('doc', documentProgress);
  // A document's ingestion job is addressed by the document's id; a course's or a deck's by the job id it was given.
  realtime.channels.register('job', documentProgress);
  realtime.channels.register(
    'job',
    progressSource({ read: courseJobProgress(generation.courses), topic: jobChannel, ids: COURSE_JOB_ID }),
  );
  realtime.channels.register(
    'job',
    progressSource({ read: deckJobProgress(generation.presentations), topic: jobChannel, ids: DECK_JOB_ID }),
  );
  return realtime;
}
