import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AppError, defineErrors } from '../errors.ts';
import type { IdempotencyRepository } from './idempotency.repository.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Honour `Idempotency-Key` on this creating POST (replay, 409 in flight, 422 on another body). `streamed`:
     * the body is a stream the handler reads, so the handler claims the key once it knows the body's hash.
     */
    idempotent?: boolean | 'streamed';
  }
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
    /**
     * Set on `streamed` routes when the request carries a key: claims it for the body's hash. Resolves to the
     * reply when the stored response was replayed (the handler must then return it and do nothing else).
     */
    claimIdempotencyKey?: (bodyHash: string) => Promise<FastifyReply | undefined>;
  }
}

export const IDEMPOTENCY_ERRORS = defineErrors({
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    when: '`Idempotency-Key` is empty, longer than 255 characters or not printable ASCII.',
  },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    when: 'A request with this `Idempotency-Key` is still being processed; retry after `Retry-After`.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    when: 'This `Idempotency-Key` was used for a request with a different method, path or body.',
  },
});

const KEY = /^[\x21-\x7e]{1,255}$/;
const KEEP_HOURS = 24;

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for routes with `config: { idempotent: true }`,
 * scoped per user: the first request with a key runs and its response (below 500) is stored; a repeat gets the
 * stored response, a concurrent repeat a 409, a different request with the same key a 422.
 */
export function registerIdempotency(
  app: FastifyInstance,
  deps: {
    repository: IdempotencyRepository;
    scopeOf: (request: FastifyRequest) => string | undefined;
    /** 32 bytes. Stored responses are sealed: some carry secrets (a new API token) shown only once. */
    sealKey: Buffer;
    /** A key in flight longer than this belongs to a request that died with its process. */
    staleAfterMs: number;
  },
): void {
  /** Claims the request's key for `hash`; a reply when it was answered from the store instead. */
  async function claim(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: string,
    key: string,
    hash: string,
  ): Promise<FastifyReply | undefined> {
    if (await deps.repository.claim(scope, key, hash)) {
      request.idempotency = { scope, key };
      return undefined;
    }
    const stored = await deps.repository.find(scope, key);
    if (!stored) throw inFlight(); // released between our insert and read: the client retries
    // A key whose request died with its process is free again, whatever that request was.
    const staleBefore = new Date(Date.now() - deps.staleAfterMs);
    if (
      stored.status === 'in_flight' &&
      (await deps.repository.takeOverStale(scope, key, hash, staleBefore))
    ) {
      request.idempotency = { scope, key };
      return undefined;
    }
    if (stored.request_hash !== hash) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        422,
        'This Idempotency-Key was used for a different request.',
      );
    }
    if (stored.status === 'in_flight') throw inFlight();
    return replay(reply, stored.response_status ?? 200, unseal(deps.sealKey, stored.response_body));
  }

  app.decorateRequest('claimIdempotencyKey', undefined);
  app.addHook('preHandler', async (request, reply) => {
    const mode = request.routeOptions.config.idempotent;
    const header = request.headers['idempotency-key'];
    if (!mode || header === undefined) return;
    const scope = deps.scopeOf(request);
    if (!scope) return;
    const key = Array.isArray(header) ? '' : header;
    if (!KEY.test(key))
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 400, 'The Idempotency-Key header is not valid.');
    if (mode === 'streamed') {
      request.claimIdempotencyKey = (bodyHash) =>
        claim(request, reply, scope, key, requestHash(request, bodyHash));
      return;
    }
    return claim(request, reply, scope, key, requestHash(request, JSON.stringify(request.body ?? null)));
  });

  // preSerialization sees the payload object before compression turns it into a stream.
  app.addHook('preSerialization', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (claim && reply.statusCode < 500) {
      await deps.repository.complete(claim.scope, claim.key, reply.statusCode, seal(deps.sealKey, payload));
      request.idempotency = undefined;
    }
    return payload;
  });

  // What preSerialization did not store: an empty answer (e.g. 204) is kept; a server error or an aborted
  // request frees the key so the client can retry.
  app.addHook('onResponse', async (request, reply) => {
    const claim = request.idempotency;
    if (!claim) return;
    if (reply.statusCode < 500 && !request.raw.aborted) {
      await deps.repository.complete(claim.scope, claim.key, reply.statusCode, seal(deps.sealKey, null));
    } else {
      await deps.repository.release(claim.scope, claim.key);
    }
  });
}

/** The sealing key, derived from a configured secret so every process of a fleet shares it. */
export function idempotencySealKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', 'lectern idempotency responses', 32));
}

export function pruneIdempotencyKeys(repository: IdempotencyRepository): Promise<number> {
  return repository.prune(KEEP_HOURS);
}

interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

/** AES-256-GCM: a database reader sees neither the stored responses nor the secrets some of them carry. */
function seal(key: Buffer, body: unknown): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(body ?? null), 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    data: data.toString('base64url'),
  };
}

function unseal(key: Buffer, sealed: unknown): unknown {
  const { iv, tag, data } = sealed as Sealed;
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return JSON.parse(
    Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8'),
  );
}

function requestHash(request: FastifyRequest, body: string): string {
  return createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('base64url');
}

function inFlight(): AppError {
  return new AppError(
    'IDEMPOTENCY_KEY_IN_FLIGHT',
    409,
    'A request with this Idempotency-Key is in progress.',
    {
      headers: { 'retry-after': '1' },
    },
  );
}

function replay(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('idempotent-replayed', 'true').send(body);
}
