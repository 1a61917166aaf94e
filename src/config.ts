import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Every setting Lectern reads, with its default. This is the only file that reads process.env;
// README's configuration table documents each variable.
const OnOff = Type.Union([Type.Literal('on'), Type.Literal('off')]);
const Bytes32 = Type.String({ minLength: 32, description: 'at least 32 bytes' });

const EnvSchema = Type.Object({
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DB_POOL_MIN: Type.Integer({ minimum: 0, maximum: 1000, default: 5 }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  DB_BUSY_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  SLOW_QUERY_MS: Type.Integer({ minimum: 1, default: 500 }),
  VECTOR_SEARCH: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('off')])),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  JWT_SECRET: Type.Optional(Bytes32),
  URL_SIGNING_SECRET: Type.Optional(Bytes32),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 30 * 24 * 3600 }),
  LOGIN_MAX_FAILURES: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, default: 15 * 60 }),
  ADMIN_EMAILS: Type.String({ default: '' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  TRUST_PROXY: Type.String({ default: 'false' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
  SLOW_REQUEST_MS: Type.Integer({ minimum: 1, default: 1000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  CHAT_SOURCES: Type.Integer({ minimum: 1, maximum: 20, default: 6 }),
  OVERLOAD_PROTECTION: Type.Union([OnOff], { default: 'on' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 10, default: 1000 }),
  CACHE: Type.Union([OnOff], { default: 'on' }),
  RATE_LIMIT: Type.Union([OnOff], { default: 'on' }),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: Type.Integer({ minimum: 1, default: 300 }),
  RATE_LIMIT_USER_PER_MINUTE: Type.Integer({ minimum: 1, default: 1200 }),
  SEARCH_EF_SEARCH: Type.Integer({ minimum: 1, maximum: 1000, default: 40 }),
  SEARCH_RRF_K: Type.Integer({ minimum: 1, maximum: 1000, default: 60 }),
  SEARCH_VECTOR_WEIGHT: Type.Number({ minimum: 0, maximum: 10, default: 1 }),
  SEARCH_TEXT_WEIGHT: Type.Number({ minimum: 0, maximum: 10, default: 1 }),
  QUEUE_NAME: Type.String({ pattern: '^[a-z0-9-]{1,40}$', default: 'lectern' }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
  OUTBOX_POLL_MS: Type.Integer({ minimum: 10, default: 1000 }),
  JOB_LOCK_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  RECONCILE_EVERY_MS: Type.Integer({ minimum: 100, default: 60_000 }),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  S3_FORCE_PATH_STYLE: Type.Optional(OnOff),
  AI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AI_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  AI_CHAT_MODEL: Type.String({ minLength: 1, default: 'gpt-4o-mini' }),
  AI_EMBEDDING_MODEL: Type.String({ minLength: 1, default: 'text-embedding-3-small' }),
  AI_EMBEDDING_DIMENSIONS: Type.Integer({ minimum: 1, maximum: 16000, default: 1536 }),
  AI_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  AI_DAILY_TOKENS: Type.Integer({ minimum: 0, default: 200_000 }),
  AI_MAX_INPUT_TOKENS: Type.Integer({ minimum: 2000, default: 12_000 }),
  AI_CACHE_TTL_SECONDS: Type.Integer({ minimum: 0, default: 3600 }),
  LOCAL_MODEL_CACHE_DIR: Type.Optional(Type.String({ minLength: 1 })),
  MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 100 * 1024 * 1024 }),
  USER_STORAGE_BYTES: Type.Integer({ minimum: 0, default: 1024 * 1024 * 1024 }),
  INGEST_MAX_PAGES: Type.Integer({ minimum: 1, default: 2000 }),
  INGEST_PAGES_PER_JOB: Type.Integer({ minimum: 1, maximum: 500, default: 25 }),
  INGEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 120_000 }),
  INGEST_STALLED_AFTER_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  EMBEDDINGS_REEMBED_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  EMBEDDINGS_REEMBED_BATCH: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
  EMBEDDINGS_RETIRE_AFTER_MS: Type.Integer({ minimum: 0, default: 120_000 }),
  FEED_BACKFILL: Type.Integer({ minimum: 0, maximum: 10_000, default: 500 }),
  FEED_INACTIVE_AFTER_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  SOCIAL_PHOTO_SLOT_TTL_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 900 }),
  SOCIAL_PHOTO_MAX_BYTES: Type.Integer({ minimum: 1, maximum: 100 * 1024 * 1024, default: 10 * 1024 * 1024 }),
  SOCIAL_PHOTO_URL_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400, default: 600 }),
  WS_MAX_SUBSCRIPTIONS: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  WS_MESSAGES_PER_SECOND: Type.Number({ minimum: 0.1, maximum: 10_000, default: 10 }),
  WS_MESSAGE_BURST: Type.Integer({ minimum: 1, maximum: 100_000, default: 30 }),
  WS_PING_INTERVAL_MS: Type.Integer({ minimum: 50, default: 30_000 }),
  WS_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
});
type Env = Static<typeof EnvSchema>;

export type Mode = 'embedded' | 'fleet';

// node_modules/.cache is where tools keep derived files: shared by every data dir, removed with node_modules.
const DEFAULT_MODEL_CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/lectern', import.meta.url));

export interface Config {
  mode: Mode;
  host: string;
  port: number;
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  db: {
    url: string | undefined;
    poolMin: number;
    poolMax: number;
    busyTimeoutMs: number;
    slowQueryMs: number;
    vectorSearch: 'required' | 'off';
  };
  redisUrl: string | undefined;
  /** Always set in fleet mode; in embedded mode the data dir provides what is not set (see platform/data-dir). */
  secrets: { jwt: string | undefined; urlSigning: string | undefined };
  auth: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    loginMaxFailures: number;
    loginLockoutSeconds: number;
    adminEmails: ReadonlySet<string>;
  };
  http: {
    corsOrigins: string[];
    trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
    requestTimeoutMs: number;
    bodyLimitBytes: number;
    slowRequestMs: number;
    shutdownTimeoutMs: number;
    /** A comment on quiet server-sent event streams, so proxies do not time them out. */
    sseHeartbeatMs: number;
    overloadProtection: boolean;
    maxEventLoopDelayMs: number;
  };
  cacheEnabled: boolean;
  /** `sources`: chunks retrieved for each question. */
  chat: { sources: number };
  rateLimit: { enabled: boolean; anonymousPerMinute: number; userPerMinute: number };
  /** `queueName`: the BullMQ queue; deployments sharing one Redis need different names. */
  jobs: {
    queueName: string;
    workerConcurrency: number;
    outboxPollMs: number;
    /**
     * How long a fleet worker's lock on a running job lasts without renewal (renewed at half of it): a job whose
     * worker died runs again after about this long, and a blocked event loop loses its lock after it.
     */
    lockMs: number;
    /** How often worker processes run the reconcile sweeps (at start, then every this long). */
    reconcileEveryMs: number;
  };
  /** Blob storage: S3-compatible when S3_BUCKET is set, else DATA_DIR/files. */
  s3:
    | {
        bucket: string;
        endpoint: string | undefined;
        region: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
      }
    | undefined;
  /** An OpenAI-compatible endpoint when AI_BASE_URL is set, else the local engines. */
  ai: {
    baseUrl: string | undefined;
    apiKey: string | undefined;
    chatModel: string;
    embeddingModel: string;
    embeddingDimensions: number;
    timeoutMs: number;
    dailyTokens: number;
    /** Prompt budget per chat call; longer documents are summarised by map-reduce. */
    maxInputTokens: number;
    /** How long generated artifacts (courses) stay in the owner's ai_cache. */
    cacheTtlSeconds: number;
    /** Where the local embedder keeps its converted word vectors; shared by every data dir. */
    localModelCacheDir: string;
  };
  /** Hybrid search knobs: HNSW ef_search and Reciprocal Rank Fusion's k and per-list weights. */
  search: { efSearch: number; rrfK: number; vectorWeight: number; textWeight: number };
  library: {
    maxUploadBytes: number;
    userStorageBytes: number;
    /** PDFs with more pages are refused ("exceeds N pages"). */
    maxPages: number;
    /** Large PDFs are extracted in jobs of this many pages, so progress moves and one bad range fails alone. */
    pagesPerJob: number;
    /** Wall time for one extraction call (a page range, or a whole text document). */
    extractTimeoutMs: number;
    /** An active document whose heartbeat is older than this lost its job: the sweep re-enqueues its stage. */
    stalledAfterMs: number;
  };
  /** The re-embed of an embedding-model switch. */
  embeddings: {
    /** Pause between re-embed batches: a throttle (0: none). */
    reembedDelayMs: number;
    /** Chunks per re-embed batch; 0 lets the embedder decide. */
    reembedBatch: number;
    /** How long a retired space keeps its vectors, for searches that read it as active just before the flip. */
    retireAfterMs: number;
  };
  /** A new connection (or tag) puts this many of the other side's latest visible posts into the feed. */
  /**
   * Photos: how long an upload slot (its PUT URL, and the time to post it) lasts, the largest photo, and the
   * lifetime of the signed GET URLs reads return (cached for half of it).
   */
  social: {
    feedBackfill: number;
    /** Fan-out skips users inactive this long; their inbox is rebuilt (bounded by feedBackfill) on return. */
    feedInactiveAfterDays: number;
    photoSlotTtlSeconds: number;
    photoMaxBytes: number;
    photoUrlTtlSeconds: number;
  };
  /**
   * WebSocket limits: subscriptions per connection, inbound messages (token bucket: rate and burst), how often
   * peers are pinged (one missed pong and they are dropped), and the send buffer above which a slow reader is dropped.
   */
  realtime: {
    maxSubscriptions: number;
    messagesPerSecond: number;
    messageBurst: number;
    pingIntervalMs: number;
    maxBufferedBytes: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads `.env` in the working directory when present; real environment variables win. */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  const firstError = Value.Errors(EnvSchema, parsed).First();
  if (firstError) {
    const name = firstError.path.replace(/^\//, '');
    // Secrets and URLs (which may carry passwords) are named, never echoed.
    const shown = /SECRET|KEY|URL/.test(name) ? '' : `=${JSON.stringify(env[name] ?? '')}`;
    throw new ConfigError(`Invalid ${name}${shown}: ${firstError.message}`);
  }
  const e = parsed as Env;
  const mode: Mode = e.DATABASE_URL ? 'fleet' : 'embedded';

  if (e.DB_POOL_MIN > e.DB_POOL_MAX) {
    throw new ConfigError(
      `Invalid DB_POOL_MIN=${e.DB_POOL_MIN}: must not exceed DB_POOL_MAX=${e.DB_POOL_MAX}`,
    );
  }
  if (mode === 'fleet' && (!e.JWT_SECRET || !e.URL_SIGNING_SECRET)) {
    const missing = !e.JWT_SECRET ? 'JWT_SECRET' : 'URL_SIGNING_SECRET';
    throw new ConfigError(
      `Missing ${missing}: fleet mode (DATABASE_URL set) needs JWT_SECRET and URL_SIGNING_SECRET, ` +
        `each at least 32 bytes and the same on every process (e.g. \`openssl rand -base64 48\`).`,
    );
  }

  return {
    mode,
    host: e.HOST ?? (mode === 'embedded' ? '127.0.0.1' : '0.0.0.0'),
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    db: {
      url: e.DATABASE_URL,
      poolMin: e.DB_POOL_MIN,
      poolMax: e.DB_POOL_MAX,
      busyTimeoutMs: e.DB_BUSY_TIMEOUT_MS,
      slowQueryMs: e.SLOW_QUERY_MS,
      // Embedded PGlite always ships pgvector; a fleet PostgreSQL must have it unless told otherwise.
      vectorSearch: mode === 'embedded' ? 'required' : (e.VECTOR_SEARCH ?? 'required'),
    },
    redisUrl: e.REDIS_URL,
    secrets: { jwt: e.JWT_SECRET, urlSigning: e.URL_SIGNING_SECRET },
    auth: {
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginLockoutSeconds: e.LOGIN_LOCKOUT_SECONDS,
      adminEmails: new Set(splitList(e.ADMIN_EMAILS).map((s) => s.toLowerCase())),
    },
    http: {
      corsOrigins: splitList(e.CORS_ORIGINS),
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      slowRequestMs: e.SLOW_REQUEST_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      sseHeartbeatMs: e.SSE_HEARTBEAT_MS,
      overloadProtection: e.OVERLOAD_PROTECTION === 'on',
      maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS,
    },
    cacheEnabled: e.CACHE === 'on',
    chat: { sources: e.CHAT_SOURCES },
    rateLimit: {
      enabled: e.RATE_LIMIT === 'on',
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      userPerMinute: e.RATE_LIMIT_USER_PER_MINUTE,
    },
    jobs: {
      queueName: e.QUEUE_NAME,
      workerConcurrency: e.WORKER_CONCURRENCY,
      outboxPollMs: e.OUTBOX_POLL_MS,
      lockMs: e.JOB_LOCK_MS,
      reconcileEveryMs: e.RECONCILE_EVERY_MS,
    },
    s3: e.S3_BUCKET
      ? {
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          // Self-hosted stores (MinIO, s3rver, Ceph) want path-style addressing; AWS wants virtual hosts.
          forcePathStyle: e.S3_FORCE_PATH_STYLE
            ? e.S3_FORCE_PATH_STYLE === 'on'
            : e.S3_ENDPOINT !== undefined,
        }
      : undefined,
    ai: {
      baseUrl: e.AI_BASE_URL,
      apiKey: e.AI_API_KEY,
      chatModel: e.AI_CHAT_MODEL,
      embeddingModel: e.AI_EMBEDDING_MODEL,
      embeddingDimensions: e.AI_EMBEDDING_DIMENSIONS,
      timeoutMs: e.AI_TIMEOUT_MS,
      dailyTokens: e.AI_DAILY_TOKENS,
      maxInputTokens: e.AI_MAX_INPUT_TOKENS,
      cacheTtlSeconds: e.AI_CACHE_TTL_SECONDS,
      localModelCacheDir: path.resolve(e.LOCAL_MODEL_CACHE_DIR ?? DEFAULT_MODEL_CACHE_DIR),
    },
    search: {
      efSearch: e.SEARCH_EF_SEARCH,
      rrfK: e.SEARCH_RRF_K,
      vectorWeight: e.SEARCH_VECTOR_WEIGHT,
      textWeight: e.SEARCH_TEXT_WEIGHT,
    },
    library: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      userStorageBytes: e.USER_STORAGE_BYTES,
      maxPages: e.INGEST_MAX_PAGES,
      pagesPerJob: e.INGEST_PAGES_PER_JOB,
      extractTimeoutMs: e.INGEST_TIMEOUT_MS,
      stalledAfterMs: e.INGEST_STALLED_AFTER_MS,
    },
    embeddings: {
      reembedDelayMs: e.EMBEDDINGS_REEMBED_DELAY_MS,
      reembedBatch: e.EMBEDDINGS_REEMBED_BATCH,
      retireAfterMs: e.EMBEDDINGS_RETIRE_AFTER_MS,
    },
    social: {
      feedBackfill: e.FEED_BACKFILL,
      feedInactiveAfterDays: e.FEED_INACTIVE_AFTER_DAYS,
      photoSlotTtlSeconds: e.SOCIAL_PHOTO_SLOT_TTL_SECONDS,
      photoMaxBytes: e.SOCIAL_PHOTO_MAX_BYTES,
      photoUrlTtlSeconds: e.SOCIAL_PHOTO_URL_TTL_SECONDS,
    },
    realtime: {
      maxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      messagesPerSecond: e.WS_MESSAGES_PER_SECOND,
      messageBurst: e.WS_MESSAGE_BURST,
      pingIntervalMs: e.WS_PING_INTERVAL_MS,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
    },
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `false`, `true`, a hop count, or a comma list of trusted proxy addresses/CIDRs (Fastify's trustProxy). */
function parseTrustProxy(value: string): Config['http']['trustProxy'] {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops; // proxy-addr's meaning of a hop count
  }
  const list = splitList(value);
  if (list.length === 0) throw new ConfigError(`Invalid TRUST_PROXY=${JSON.stringify(value)}`);
  return list;
}
