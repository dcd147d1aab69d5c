/**
 * Faults are errors; expected outcomes are values. Every fault that reaches the HTTP edge is a
 * `SanhError` (or is wrapped into one) and is rendered in one place by `renderError`.
 */

/** Stable, machine-readable error codes shared by JSON bodies and logs. */
export type ErrorCode =
  | 'bad_request'
  | 'not_found'
  | 'challenge_required'
  | 'rate_limited'
  | 'room_closed'
  | 'origin_unreachable'
  | 'origin_timeout'
  | 'store_unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  challenge_required: 403,
  rate_limited: 429,
  room_closed: 503,
  origin_unreachable: 502,
  origin_timeout: 504,
  store_unavailable: 503,
  internal: 500,
};

/** A fault with a code, an HTTP status and a message safe to show to the visitor. */
export class SanhError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SanhError';
    this.code = code;
    this.status = STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Wraps anything thrown into a SanhError, keeping the original as `cause`. */
export function toSanhError(error: unknown): SanhError {
  if (error instanceof SanhError) return error;
  return new SanhError('internal', 'Something went wrong on our side.', { cause: error });
}

/** The uniform JSON error body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId?: string };
}

/** Builds the uniform JSON error body for an error. */
export function errorBody(error: SanhError, requestId?: string): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(requestId ? { requestId } : {}) } };
}
