// One long-lived worker thread that answers one request at a time: both ends of the protocol. The worker
// posts one message once it can take requests, then one response per request, either
// `{ type: 'result', value }` or a failure that the main thread turns into an Error.
import { parentPort, type Transferable, Worker } from 'node:worker_threads';

type Result<Response> = Response extends { type: 'result'; value: infer Value } ? Value : never;
type Failure<Response> = Exclude<Response, { type: 'result' }>;

export interface SerialWorkerOptions<Request, Response extends { type: string }> {
  /** The worker script; it calls serveRequests(). */
  url: URL;
  /** Names the worker in its exit errors: `${name} exited with code 1`. */
  name: string;
  /** Wall time one call may take once sent to the worker; start-up and queueing are not counted. */
  timeoutMs: number;
  timeoutError(request: Request): Error;
  toError(failure: Failure<Response>): Error;
  closedError(): Error;
}

export interface SerialWorker<Request, Response extends { type: string }> {
  /** `transfer` moves those buffers to the worker instead of copying them (they detach here). */
  call(request: Request, transfer?: readonly Transferable[]): Promise<Result<Response>>;
  /** Terminates the worker; the call in flight and those queued reject with closedError(). */
  close(): Promise<void>;
}

/**
 * Starts the worker on first use. Calls run one at a time in arrival order. A call that times out or
 * crashes the worker terminates it, and the next call starts a fresh one.
 */
export function createSerialWorker<Request, Response extends { type: string }>(
  options: SerialWorkerOptions<Request, Response>,
): SerialWorker<Request, Response> {
  const { name, timeoutMs } = options;
  let worker: Worker | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  function start(): Promise<Worker> {
    return new Promise((resolve, reject) => {
      const started = new Worker(options.url);
      // An idle worker must not keep the process alive; a pending call's timer does.
      started.unref();
      const fail = (error: Error) => {
        void started.terminate();
        reject(error);
      };
      const exited = (code: number) => fail(new Error(`${name} exited with code ${code} while starting`));
      started.once('error', fail).once('exit', exited);
      started.once('message', () => {
        started.off('error', fail).off('exit', exited);
        resolve(started);
      });
    });
  }

  function retire(stale: Worker): void {
    if (worker === stale) worker = undefined;
    void stale.terminate();
  }

  function send(target: Worker, request: Request, transfer?: readonly Transferable[]) {
    return new Promise<Result<Response>>((resolve, reject) => {
      // Posted before any listener or timer is set: a request that cannot be cloned throws here and
      // leaves nothing behind.
      target.postMessage(request, transfer);
      const done = () => {
        clearTimeout(timer);
        target.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const fail = (error: Error) => {
        done();
        reject(error);
      };
      const onMessage = (response: { type: string; value?: unknown }) => {
        done();
        if (response.type === 'result') resolve(response.value as Result<Response>);
        else reject(options.toError(response as Failure<Response>));
      };
      // An uncaught error or a heap overflow (ERR_WORKER_OUT_OF_MEMORY) kills the worker; retryable.
      const onError = (error: Error) => {
        retire(target);
        fail(error);
      };
      const onExit = (code: number) => {
        retire(target);
        fail(closed ? options.closedError() : new Error(`${name} exited with code ${code}`));
      };
      const timer = setTimeout(() => {
        retire(target);
        fail(options.timeoutError(request));
      }, timeoutMs);
      target.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  async function run(request: Request, transfer?: readonly Transferable[]) {
    if (closed) throw options.closedError();
    const current = (worker ??= await start());
    if (closed) {
      retire(current);
      throw options.closedError();
    }
    return send(current, request, transfer);
  }

  return {
    call(request, transfer) {
      const result = queue.then(() => run(request, transfer));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      closed = true;
      const current = worker;
      worker = undefined;
      await current?.terminate();
    },
  };
}

/**
 * The worker's end: posts the ready message, then answers each request with `handle`'s result, or with
 * `failure(error)` when it throws. Call it once the worker's modules have loaded.
 */
export function serveRequests<Request, Response extends { type: string }>(
  handle: (request: Request) => Result<Response> | Promise<Result<Response>>,
  failure: (error: unknown) => Failure<Response>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests() must run in a worker thread');
  port.on('message', (request: Request) => {
    Promise.try(handle, request).then(
      (value) => port.postMessage({ type: 'result', value }),
      (error: unknown) => port.postMessage(failure(error)),
    );
  });
  port.postMessage({ type: 'ready' });
}
