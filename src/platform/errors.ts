/**
 * The one error type services and platform code throw for anything a client should see. `code` is a stable
 * `MODULE_REASON` constant (docs/errors.md lists them all); `detail` is safe to show to the user.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    code: string,
    status: number,
    detail: string,
    options: { headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** An error-code catalogue entry: its HTTP status and when it happens (for docs/errors.md). */
export interface ErrorCodeSpec {
  status: number;
  when: string;
}

export function defineErrors<T extends Record<string, ErrorCodeSpec>>(codes: T): T {
  return codes;
}
