import { ceiling } from './ceiling.ts';
import { compressionBr, compressionGzip, compressionIdentity } from './compression.ts';
import { chatExtractive, chatRag } from './chat-rag.ts';
import { conceptWalk, conceptWalkUncached } from './concept-walk.ts';
import { deckHit } from './deck-hit.ts';
import { dedupHit } from './dedup-hit.ts';
import { documentMetadata } from './document-metadata.ts';
import { documentMetadataUncached } from './document-metadata-uncached.ts';
import {
  feed10,
  feed10Uncached,
  feed200,
  feed200Uncached,
  feed2000,
  feed2000Naive,
  feed2000Uncached,
} from './feed.ts';
import { digest10, digest200, digest2000 } from './feed-digest.ts';
import { health } from './health.ts';
import { ingestPages } from './ingest-pages.ts';
import { libraryList, libraryListNaive, libraryListUncached } from './library-list.ts';
import { me } from './me.ts';
import { libraryListPool1 } from './pool.ts';
import { postFanout } from './post-fanout.ts';
import { meRateLimited } from './rate-limit.ts';
import type { Scenario, TimedScenario } from './scenario.ts';
import { searchHybrid, searchHybridCached, searchText, searchVector } from './search.ts';
import { startup } from './startup.ts';
import { websocketIdle } from './websocket-idle.ts';

// Registry order is run order; keep scenarios that share a server next to each other.
const all = [
  ceiling,
  health,
  startup,
  me,
  deckHit,
  ingestPages,
  meRateLimited,
  libraryList,
  documentMetadata,
  dedupHit,
  searchHybrid,
  searchVector,
  searchText,
  searchHybridCached,
  feed10,
  feed200,
  feed2000,
  digest10,
  digest200,
  digest2000,
  conceptWalk,
  compressionIdentity,
  compressionGzip,
  compressionBr,
  chatExtractive,
  libraryListUncached,
  documentMetadataUncached,
  feed10Uncached,
  feed200Uncached,
  feed2000Uncached,
  conceptWalkUncached,
  postFanout,
  libraryListPool1,
  libraryListNaive,
  feed2000Naive,
  chatRag,
  websocketIdle,
] as const;

export type ScenarioName = (typeof all)[number]['name'];

/** The reference every other scenario's req/s is divided by. */
export const REFERENCE: ScenarioName = 'ceiling';

export const scenarioNames: readonly ScenarioName[] = all.map((s) => s.name);

/** What `npm run bench` runs without arguments. */
export const defaultSuite: readonly ScenarioName[] = scenarioNames;

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

export const scenarios = Object.fromEntries(all.map((s) => [s.name, s])) as Record<
  ScenarioName,
  Scenario | TimedScenario
>;
