import type { GraphErrorBody } from './schemas.js';

/** What kind of failure a Graph error is, decided by Meta's error `code` (never by HTTP status alone). */
export type GraphErrorCategory =
  | 'throttled'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'invalid'
  | 'transient'
  | 'unknown';

/**
 * Error codes from Meta's Graph API error reference, as summarised in ../shared/GUIDE.md.
 * Throttles also arrive as HTTP 400 with `type: OAuthException`, which is why the code decides.
 */
const THROTTLE_CODES = new Set([4, 17, 32, 613, 80007, 80008]);
const AUTH_CODES = new Set([190, 102]);
const PERMISSION_CODES = new Set([3, 10]);
const NOT_FOUND_CODES = new Set([803]);
const TRANSIENT_CODES = new Set([1, 2]);
const PARAM_SUBCODE_OBJECT_MISSING = 33;

export function categorize(
  code: number | undefined,
  subcode: number | undefined,
  isTransient?: boolean,
): GraphErrorCategory {
  if (code === undefined) return isTransient ? 'transient' : 'unknown';
  if (THROTTLE_CODES.has(code)) return 'throttled';
  if (AUTH_CODES.has(code)) return 'auth';
  if (PERMISSION_CODES.has(code) || (code >= 200 && code <= 299)) return 'permission';
  if (NOT_FOUND_CODES.has(code) || (code === 100 && subcode === PARAM_SUBCODE_OBJECT_MISSING)) return 'not_found';
  if (code === 100) return 'invalid';
  if (TRANSIENT_CODES.has(code) || isTransient) return 'transient';
  return 'unknown';
}

export interface GraphErrorDetails {
  message: string;
  category: GraphErrorCategory;
  status?: number;
  code?: number;
  subcode?: number;
  type?: string;
  fbtraceId?: string;
  isTransient?: boolean;
  userTitle?: string;
  userMessage?: string;
  /** When a throttle or budget hold ends; set when the client gave up waiting for it. */
  retryAt?: Date;
  cause?: unknown;
}

/** The one error type the Graph client throws: Meta's error fields plus a classification. */
export class GraphError extends Error {
  readonly category: GraphErrorCategory;
  readonly status?: number;
  readonly code?: number;
  readonly subcode?: number;
  readonly type?: string;
  readonly fbtraceId?: string;
  readonly isTransient?: boolean;
  readonly userTitle?: string;
  readonly userMessage?: string;
  readonly retryAt?: Date;

  constructor(details: GraphErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GraphError';
    this.category = details.category;
    this.status = details.status;
    this.code = details.code;
    this.subcode = details.subcode;
    this.type = details.type;
    this.fbtraceId = details.fbtraceId;
    this.isTransient = details.isTransient;
    this.userTitle = details.userTitle;
    this.userMessage = details.userMessage;
    this.retryAt = details.retryAt;
  }

  static fromBody(body: GraphErrorBody, status: number): GraphError {
    return new GraphError({
      message: body.message,
      category: categorize(body.code, body.error_subcode, body.is_transient),
      status,
      code: body.code,
      subcode: body.error_subcode,
      type: body.type,
      fbtraceId: body.fbtrace_id,
      isTransient: body.is_transient,
      userTitle: body.error_user_title,
      userMessage: body.error_user_msg,
    });
  }

  /** Whether waiting and sending the same call again can succeed. */
  get retryable(): boolean {
    return this.category === 'transient' || this.category === 'throttled';
  }
}

/** Thrown before any call when an argument cannot be sent to Graph (bad id, unknown task, too many tasks). */
export class GraphInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphInputError';
  }
}
