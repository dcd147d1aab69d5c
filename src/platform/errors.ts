/**
 * Faults are errors; expected outcomes are values. Every fault that reaches the HTTP edge is a
 * `SanhError` (or is wrapped into one) and is rendered in one place by `renderError`.
 */

/** Stable, machine-readable error codes shared by JSON bodies and logs. */
export type ErrorCode =
  | 'bad_request'
  | 'ambiguous_path'
  | 'not_found'
  | 'forbidden'
  | 'unauthorized'
  | 'challenge_required'
  | 'draft_not_found'
  | 'draft_stale'
  | 'precondition_required'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_draft'
  | 'invalid_settings'
  | 'resume_code_invalid'
  | 'resume_failed'
  | 'resume_locked'
  | 'upload_not_found'
  | 'upload_offset_mismatch'
  | 'upload_incomplete'
  | 'upload_expired'
  | 'checksum_mismatch'
  | 'unsupported_checksum'
  | 'unsupported_tus_version'
  | 'idempotency_key_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_conflict'
  | 'receipt_not_found'
  | 'store_not_durable'
  | 'submissions_full'
  | 'storage_full'
  | 'rate_limited'
  | 'room_closed'
  | 'origin_unreachable'
  | 'origin_timeout'
  | 'origin_busy'
  | 'request_timeout'
  | 'store_unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  ambiguous_path: 400,
  not_found: 404,
  forbidden: 403,
  unauthorized: 401,
  challenge_required: 403,
  draft_not_found: 404,
  draft_stale: 412,
  precondition_required: 428,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_draft: 422,
  invalid_settings: 422,
  resume_code_invalid: 422,
  resume_failed: 403,
  resume_locked: 423,
  upload_not_found: 404,
  upload_offset_mismatch: 409,
  upload_incomplete: 409,
  upload_expired: 410,
  checksum_mismatch: 460,
  unsupported_checksum: 400,
  unsupported_tus_version: 412,
  idempotency_key_invalid: 400,
  idempotency_key_reused: 422,
  idempotency_conflict: 409,
  receipt_not_found: 404,
  store_not_durable: 503,
  submissions_full: 503,
  storage_full: 507,
  rate_limited: 429,
  room_closed: 503,
  origin_unreachable: 502,
  origin_timeout: 504,
  origin_busy: 503,
  request_timeout: 408,
  store_unavailable: 503,
  internal: 500,
};

/** A fault with a code, an HTTP status and a message safe to show to the visitor. */
export class SanhError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  /** Extra top-level fields of the JSON body (e.g. the current `revision` of a stale draft). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Extra response headers (e.g. `ETag`, `Tus-Resumable`). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SanhError';
    this.code = code;
    this.status = STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
    this.headers = options.headers;
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
  [detail: string]: unknown;
}

/** Builds the uniform JSON error body for an error (with its `details` beside `error`). */
export function errorBody(error: SanhError, requestId?: string): ErrorBody {
  return { ...error.details, error: { code: error.code, message: error.message, ...(requestId ? { requestId } : {}) } };
}
