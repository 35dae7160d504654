import { z } from 'zod';
import { ACCOUNT_ALIAS } from '../access/accounts.js';
import type { AccessRequest } from '../access/request.js';
import { type Task, taskSchema } from '../access/tasks.js';
import { META_ID } from '../graph/ids.js';
import { SLACK_USER_ID } from './ids.js';
import { LIMITS } from './limits.js';

/** What the request form opens with when a finished request is asked for again. */
export interface Prefill {
  kind: 'grant' | 'revoke';
  /** The account's alias, as the request was made on. */
  account?: string;
  userId: string;
  /** The Slack person the request named. */
  person?: string;
  tasks: Task[];
  durationMs?: number;
  reason?: string;
}

/** The request form's reason field holds this much; a longer reason is cut to fit. */
export const REASON_CHARS = 500;

/** Short keys: the value travels in the button, which Slack caps at 2,000 characters. */
const wireSchema = z.object({
  k: z.enum(['grant', 'revoke']),
  a: z.string().regex(ACCOUNT_ALIAS).optional(),
  u: z.string().regex(META_ID),
  p: z.string().regex(SLACK_USER_ID).optional(),
  t: z.array(taskSchema).max(16),
  d: z
    .number()
    .int()
    .positive()
    .max(365 * 86_400_000)
    .optional(),
  r: z.string().max(REASON_CHARS).optional(),
});

/** Whether a request ended without giving anything (denied, expired, canceled), so it may be asked for again. */
export function endedEmpty(request: AccessRequest): boolean {
  return request.state === 'denied' || request.state === 'expired' || request.state === 'canceled';
}

/** The form filled in as `request` was, or undefined when it is not something the form asks for (an extension). */
export function prefillOf(request: AccessRequest): Prefill | undefined {
  if (request.kind === 'extend') return undefined;
  return {
    kind: request.kind,
    ...(request.accountAlias ? { account: request.accountAlias } : {}),
    userId: request.targetUserId,
    ...(request.targetSlackId ? { person: request.targetSlackId } : {}),
    tasks: request.tasks,
    ...(request.durationMs ? { durationMs: request.durationMs } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
  };
}

/** The value of a Request again button; the reason is shortened, or left out, to keep within Slack's limit. */
export function encodePrefill(prefill: Prefill): string {
  const wire = {
    k: prefill.kind,
    ...(prefill.account ? { a: prefill.account } : {}),
    u: prefill.userId,
    ...(prefill.person ? { p: prefill.person } : {}),
    t: prefill.tasks,
    ...(prefill.durationMs ? { d: prefill.durationMs } : {}),
  };
  // Cut in UTF-16 units, as the form counts, never between the halves of a character.
  const reason = prefill.reason?.slice(0, REASON_CHARS).replace(/[\uD800-\uDBFF]$/, '');
  const withReason = JSON.stringify(reason ? { ...wire, r: reason } : wire);
  return withReason.length <= LIMITS.buttonValue ? withReason : JSON.stringify(wire);
}

/** A button's value read back; undefined for anything that is not one (a click can carry any value). */
export function decodePrefill(value: string): Prefill | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const wire = parsed.data;
  return {
    kind: wire.k,
    ...(wire.a ? { account: wire.a } : {}),
    userId: wire.u,
    ...(wire.p ? { person: wire.p } : {}),
    tasks: wire.t,
    ...(wire.d ? { durationMs: wire.d } : {}),
    ...(wire.r ? { reason: wire.r } : {}),
  };
}
