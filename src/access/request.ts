import { z } from 'zod';
import { taskSchema } from './tasks.js';

/**
 * An access request and its life: each state is its own type, and only the transitions below move between them.
 *
 *   pending ─▶ approved ─▶ executing ─▶ succeeded | failed
 *      │                                           │ (retry) ─▶ approved
 *      │                                           │ (not retried in time) ─▶ expired
 *      └──▶ denied | expired | canceled
 *
 * A break-glass request moves from pending to approved with no approval, at once, and is reviewed afterwards.
 */

const isoDate = z.iso.datetime();

export const messageRefSchema = z.object({ channel: z.string(), ts: z.string() });
export type MessageRef = z.infer<typeof messageRefSchema>;

export const decisionSchema = z.object({
  by: z.string(),
  at: isoDate,
  decision: z.enum(['approve', 'deny', 'retry']),
  reason: z.string().optional(),
  /** The Meta user the decider was linked to when deciding: one human counts once, whatever Slack id they use. */
  asMetaUser: z.string().optional(),
  /** An approval that no longer counts: its approver turned out to be the person the request is for. */
  setAside: z.literal('beneficiary').optional(),
});
export type Decision = z.infer<typeof decisionSchema>;

export const executionErrorSchema = z.object({
  /** Meta's words for a Graph error; for the bot's own reasons (`reason`), a line for the logs. */
  message: z.string(),
  /**
   * Why the bot itself stopped the change, when it was not Meta: the grant an extension was for had ended, the
   * request's account left the policy, an extension would have run past the longest grant (`maxMs`), or the change
   * itself could not be sent (an unexpected error).
   */
  reason: z
    .enum(['grant-not-live', 'account-unconfigured', 'extension-too-long', 'bad-input', 'unexpected'])
    .optional(),
  maxMs: z.number().optional(),
  category: z.string(),
  code: z.number().optional(),
  subcode: z.number().optional(),
  fbtraceId: z.string().optional(),
  userMessage: z.string().optional(),
  retryAt: isoDate.optional(),
});
export type ExecutionError = z.infer<typeof executionErrorSchema>;

/** An approver's look, after the fact, at a break-glass use: it was right, or the access was revoked. */
export const breakGlassReviewSchema = z.object({
  by: z.string(),
  at: isoDate,
  verdict: z.enum(['looks-right', 'revoked']),
});
export type BreakGlassReview = z.infer<typeof breakGlassReviewSchema>;

const base = z.object({
  id: z.string(),
  /** `extend` lengthens a live temporary grant (`grantId`) by `durationMs`. */
  kind: z.enum(['grant', 'revoke', 'extend']),
  wabaId: z.string(),
  /** The account's alias when the request was made (requests are routed by `wabaId`). */
  accountAlias: z.string().optional(),
  targetUserId: z.string(),
  targetName: z.string().optional(),
  /** The Slack person the target is, when the request named them (or the directory links them). */
  targetSlackId: z.string().optional(),
  /** Tasks asked for (empty for a revoke). */
  tasks: z.array(taskSchema),
  /** The user's tasks when the request was made; null when they had no access (or it could not be read). */
  currentTasks: z.array(taskSchema).nullable(),
  /**
   * Set when Meta could not say what the user held when the request was made (a throttle, an outage): Meta's
   * words. The request is filed all the same; the bot reads afresh before it changes anything.
   */
  currentUnknown: z.string().optional(),
  /** What the user will hold once the request is carried out; empty for a revoke. */
  afterTasks: z.array(taskSchema),
  requesterId: z.string(),
  originChannelId: z.string(),
  reason: z.string().optional(),
  /** For a temporary grant: how long it lasts once carried out. For an extension: how much longer. */
  durationMs: z.number().int().positive().optional(),
  /** For an extension: the grant it extends, and when that grant ended at the time of asking. */
  grantId: z.string().optional(),
  grantEndsAt: isoDate.optional(),
  createdAt: isoDate,
  expiresAt: isoDate,
  approvalMessages: z.array(messageRefSchema),
  decisions: z.array(decisionSchema),
  /** How many different approvers must approve before it is carried out; unset: one. */
  approvalsRequired: z.number().int().min(1).optional(),
  /** When approvers were reminded of it (once). */
  remindedAt: isoDate.optional(),
  /**
   * Set when an access review made the request: the review, and what the reviewer chose. `temporary` is a grant of
   * what the person holds, ending in their removal; the review's message shows the outcome instead of a notice.
   */
  review: z.object({ reviewId: z.string(), choice: z.enum(['remove', 'temporary']) }).optional(),
  /**
   * Break-glass: its requester was allowed to have it carried out at once, without approval; an approver other than
   * them (and other than the person it is for) reviews it afterwards.
   */
  emergency: z
    .object({
      review: breakGlassReviewSchema.optional(),
      /** When approvers were reminded, once, that nobody had reviewed it. */
      remindedAt: isoDate.optional(),
    })
    .optional(),
  updatedAt: isoDate,
  /** The version the store holds it at, set by the store when read or written; a transition starts from it. */
  version: z.number().int().nonnegative().optional(),
});

export const pendingSchema = base.extend({ state: z.literal('pending') });
export const approvedSchema = base.extend({ state: z.literal('approved') });
export const executingSchema = base.extend({
  state: z.literal('executing'),
  startedAt: isoDate,
  /** Until when the executor owns the request; after it, recovery may take over. */
  leaseUntil: isoDate,
  attempts: z.number().int().positive(),
  /** The process carrying it out; when that process is gone, another may take over at once. */
  executor: z.string().optional(),
});
export const succeededSchema = base.extend({
  state: z.literal('succeeded'),
  finishedAt: isoDate,
  /** What the user held after the change (empty: removed). */
  resultTasks: z.array(taskSchema),
  /** Earlier versions' free-text note; `hadNoAccess` replaces it. */
  note: z.string().optional(),
  /** A revoke found the user without access already, so nothing was sent to Meta. */
  hadNoAccess: z.boolean().optional(),
});
export const failedSchema = base.extend({
  state: z.literal('failed'),
  finishedAt: isoDate,
  error: executionErrorSchema,
  /**
   * Until when Retry may send it again (`REQUEST_TTL` after it failed); then it expires. Unset on requests that
   * failed before failures carried their deadline: see `retryDeadline`.
   */
  retryUntil: isoDate.optional(),
});
export const deniedSchema = base.extend({ state: z.literal('denied'), finishedAt: isoDate });
export const expiredSchema = base.extend({
  state: z.literal('expired'),
  finishedAt: isoDate,
  /** Set when it failed and nobody retried it in time: how it failed, and until when Retry was open. */
  failure: z.object({ at: isoDate, error: executionErrorSchema, retryUntil: isoDate }).optional(),
});
export const canceledSchema = base.extend({
  state: z.literal('canceled'),
  finishedAt: isoDate,
  canceledBy: z.string(),
});

export const accessRequestSchema = z.discriminatedUnion('state', [
  pendingSchema,
  approvedSchema,
  executingSchema,
  succeededSchema,
  failedSchema,
  deniedSchema,
  expiredSchema,
  canceledSchema,
]);

export type AccessRequest = z.infer<typeof accessRequestSchema>;
export type Pending = z.infer<typeof pendingSchema>;
export type Approved = z.infer<typeof approvedSchema>;
export type Executing = z.infer<typeof executingSchema>;
export type Succeeded = z.infer<typeof succeededSchema>;
export type Failed = z.infer<typeof failedSchema>;
export type Denied = z.infer<typeof deniedSchema>;
export type Expired = z.infer<typeof expiredSchema>;
export type Canceled = z.infer<typeof canceledSchema>;
export type RequestState = AccessRequest['state'];

/** States from which nothing more happens unless a person acts (retry a failure before it expires). */
export const FINAL_STATES: ReadonlySet<RequestState> = new Set([
  'succeeded',
  'failed',
  'denied',
  'expired',
  'canceled',
]);

export function isFinal(request: AccessRequest): boolean {
  return FINAL_STATES.has(request.state);
}

export class InvalidTransitionError extends Error {
  constructor(from: RequestState, to: string) {
    super(`A ${from} request cannot become ${to}.`);
    this.name = 'InvalidTransitionError';
  }
}

type Fields<T> = Omit<T, 'state'>;
const strip = <T extends AccessRequest>({ state: _state, ...rest }: T): Fields<T> => rest;
/** The fields every state shares, without the ones particular to the state being left. */
function common(request: AccessRequest): z.infer<typeof base> {
  return base.parse(strip(request));
}

function expect<S extends RequestState>(
  request: AccessRequest,
  from: S,
  to: string,
): asserts request is Extract<AccessRequest, { state: S }> {
  if (request.state !== from) throw new InvalidTransitionError(request.state, to);
}

/**
 * One approver's approval. The request is approved once it has as many approvals, from different approvers, as it
 * requires; until then it stays pending with the approval recorded. An approver counts once however often they click.
 */
export function approve(request: AccessRequest, by: string, at: Date, asMetaUser?: string): Approved | Pending {
  expect(request, 'pending', 'approved');
  const approval: Decision = { by, at: at.toISOString(), decision: 'approve', ...(asMetaUser ? { asMetaUser } : {}) };
  const decisions = [...request.decisions, approval];
  const state = countHumans(decisions) >= approvalsRequired(request) ? 'approved' : 'pending';
  return { ...common(request), state, decisions, updatedAt: at.toISOString() };
}

/** Approvals from different people: a second approval by the same Slack id or the same Meta user does not count. */
function countHumans(decisions: readonly Decision[]): number {
  const slackIds = new Set<string>();
  const metaUsers = new Set<string>();
  let count = 0;
  for (const { decision, by, asMetaUser, setAside } of decisions) {
    if (setAside) continue;
    if (decision !== 'approve' || slackIds.has(by) || (asMetaUser && metaUsers.has(asMetaUser))) continue;
    slackIds.add(by);
    if (asMetaUser) metaUsers.add(asMetaUser);
    count++;
  }
  return count;
}

export function approvalsRequired(request: AccessRequest): number {
  return request.approvalsRequired ?? 1;
}

/** Whether this person has already approved the request (an approver counts once). */
export function hasApproved(request: AccessRequest, slackId: string): boolean {
  return approvalsOf(request).some((approval) => approval.by === slackId);
}

/** A pending request whose time to be decided has run out. */
export function isOverdue(request: AccessRequest | undefined, now: Date): boolean {
  return request?.state === 'pending' && new Date(request.expiresAt) <= now;
}

/** The approvals a request has collected and that still count, oldest first. */
export function approvalsOf(request: AccessRequest): Decision[] {
  return request.decisions.filter((decision) => decision.decision === 'approve' && !decision.setAside);
}

/**
 * Sets aside the approvals of these people: each turned out to be the person the request is for (linked to its
 * Meta user after approving), so their vote no longer counts. The decisions stay in the record, marked.
 */
export function setAsideApprovals(request: Pending, slackIds: ReadonlySet<string>, at: Date): Pending {
  const decisions = request.decisions.map((decision) =>
    decision.decision === 'approve' && slackIds.has(decision.by)
      ? { ...decision, setAside: 'beneficiary' as const }
      : decision,
  );
  return { ...request, decisions, updatedAt: at.toISOString() };
}

/**
 * A break-glass request goes ahead without an approval: its requester may use break-glass, and it is reviewed after
 * the fact instead.
 */
export function approveAsEmergency(request: AccessRequest, at: Date): Approved {
  expect(request, 'pending', 'approved (break-glass)');
  if (!request.emergency) throw new InvalidTransitionError(request.state, 'approved without an approval');
  return { ...common(request), state: 'approved', updatedAt: at.toISOString() };
}

/** Whether a break-glass use still waits for an approver's review. */
export function awaitsReview(request: AccessRequest | undefined): boolean {
  return request?.emergency !== undefined && request.emergency.review === undefined;
}

export function deny(request: AccessRequest, by: string, at: Date, reason?: string): Denied {
  expect(request, 'pending', 'denied');
  const decision: Decision = { by, at: at.toISOString(), decision: 'deny', ...(reason ? { reason } : {}) };
  return {
    ...common(request),
    state: 'denied',
    decisions: [...request.decisions, decision],
    finishedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

export function expire(request: AccessRequest, at: Date): Expired {
  expect(request, 'pending', 'expired');
  return { ...common(request), state: 'expired', finishedAt: at.toISOString(), updatedAt: at.toISOString() };
}

export function cancel(request: AccessRequest, by: string, at: Date): Canceled {
  expect(request, 'pending', 'canceled');
  return {
    ...common(request),
    state: 'canceled',
    canceledBy: by,
    finishedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

/** Claims an approved request for execution, or takes over one whose executor is gone. */
export function startExecution(request: AccessRequest, at: Date, leaseMs: number, executor?: string): Executing {
  if (request.state !== 'approved' && request.state !== 'executing') {
    throw new InvalidTransitionError(request.state, 'executing');
  }
  return {
    ...common(request),
    state: 'executing',
    startedAt: at.toISOString(),
    leaseUntil: new Date(at.getTime() + leaseMs).toISOString(),
    attempts: request.state === 'executing' ? request.attempts + 1 : 1,
    ...(executor ? { executor } : {}),
    updatedAt: at.toISOString(),
  };
}

export function succeed(
  request: AccessRequest,
  at: Date,
  resultTasks: Succeeded['resultTasks'],
  options: { hadNoAccess?: boolean } = {},
): Succeeded {
  expect(request, 'executing', 'succeeded');
  return {
    ...common(request),
    state: 'succeeded',
    resultTasks,
    ...(options.hadNoAccess ? { hadNoAccess: true } : {}),
    finishedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

/** The change could not be made; approvers may retry it for `retryForMs` (the request TTL), then it expires. */
export function fail(request: AccessRequest, at: Date, error: ExecutionError, retryForMs: number): Failed {
  expect(request, 'executing', 'failed');
  return {
    ...common(request),
    state: 'failed',
    error,
    retryUntil: new Date(at.getTime() + retryForMs).toISOString(),
    finishedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

/**
 * Until when a failed request may be retried: the deadline set when it failed, or for one that failed before
 * failures carried it, `ttlMs` after it failed.
 */
export function retryDeadline(request: Failed, ttlMs: number): Date {
  return new Date(request.retryUntil ?? new Date(request.finishedAt).getTime() + ttlMs);
}

/** A failed request whose time to be retried has run out. */
export function isRetryOverdue(request: AccessRequest | undefined, now: Date, ttlMs: number): request is Failed {
  return request?.state === 'failed' && retryDeadline(request, ttlMs) <= now;
}

/** A failed request nobody retried in time: it can only be asked for again. */
export function expireUnretried(request: AccessRequest, at: Date, ttlMs: number): Expired {
  expect(request, 'failed', 'expired');
  const retryUntil = retryDeadline(request, ttlMs);
  if (retryUntil > at) throw new InvalidTransitionError(request.state, 'expired while it may still be retried');
  return {
    ...common(request),
    state: 'expired',
    failure: { at: request.finishedAt, error: request.error, retryUntil: retryUntil.toISOString() },
    finishedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

/** An approver sends a failed request to Graph again. */
export function retry(request: AccessRequest, by: string, at: Date): Approved {
  expect(request, 'failed', 'approved (retry)');
  return {
    ...common(request),
    state: 'approved',
    decisions: [...request.decisions, { by, at: at.toISOString(), decision: 'retry' }],
    updatedAt: at.toISOString(),
  };
}

/** Who approved or denied: the last approve/deny decision. */
export function decider(request: AccessRequest): Decision | undefined {
  return request.decisions.filter((decision) => decision.decision !== 'retry').at(-1);
}
