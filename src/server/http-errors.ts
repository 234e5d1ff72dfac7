import { MemalignError, ValidationError } from '../index.ts';

/** HTTP status of each stable error code (the codes are the library's). */
const STATUS: Record<string, number> = {
  invalid_input: 400, unauthorized: 401, forbidden: 403, csrf: 403, not_found: 404, conflict: 409, idempotency_conflict: 422, not_ready: 409,
  store_conflict: 409, rate_limited: 429, payload_too_large: 413, unsupported_media_type: 415, provider_error: 502, align_failed: 502, invalid_output: 502,
  config_error: 500, store_error: 500, internal: 500,
};

/** An error for the HTTP layer alone (authentication, CSRF, rate limits). */
export class HttpError extends MemalignError {
  readonly retryAfterS?: number;
  constructor(code: string, message: string, retryAfterS?: number) {
    super(code, message);
    this.retryAfterS = retryAfterS;
  }
}

export function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

/** The JSON body of an error: `{ error: { code, message, issues? } }`; unknown errors say nothing internal. */
export function errorBody(error: unknown): { status: number; body: { error: { code: string; message: string; issues?: unknown[] } } } {
  if (error instanceof MemalignError) {
    const issues = error instanceof ValidationError ? error.issues : undefined;
    return { status: statusOf(error.code), body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on the server; the change was not made. The server log has the details.' } } };
}
