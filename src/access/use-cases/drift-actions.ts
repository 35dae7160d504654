import { UnconfiguredAccountError } from '../accounts.js';
import {
  type Access,
  acceptedLedger,
  actionsFor,
  type DriftAuditEntry,
  type DriftDigest,
  type DriftRow,
  temporaryLedger,
} from '../drift.js';
import { grantFor, sameAccess, type TemporaryGrant } from '../grants.js';
import { isContention } from '../ports.js';
import type { ExecutionError, Succeeded } from '../request.js';
import { USER_LOCK, userLockKey } from '../temporary-access.js';
import { withWriteCause } from '../write-journal.js';
import { saveAudited, updateMessages } from './drift-check.js';
import type { DriftContext } from './drift-context.js';
import { toExecutionError } from './execution.js';

/** Which row of which digest a click is about. */
export interface RowRef {
  digestId: string;
  index: number;
}

export type DriftAction = 'accept' | 'revert' | 'temporary';

/** How a click on a digest row ended. */
export type DriftActionResult =
  /** Done; the digest shows it. */
  | { kind: 'done'; row: DriftRow; digest: DriftDigest }
  | { kind: 'not-found' }
  | { kind: 'unconfigured'; wabaId: string }
  | { kind: 'forbidden'; reason: 'not-approver' | 'beneficiary' | 'requester'; approverIds: readonly string[] }
  /** Someone already acted on the row (or a later digest reports the person). */
  | { kind: 'already'; row: DriftRow }
  /** Someone is acting on it right now. */
  | { kind: 'busy'; row?: DriftRow }
  /** A fresh read found the access changed again since the digest: nothing was written. */
  | { kind: 'superseded'; row: DriftRow }
  /** Make temporary on a change that gave nothing (a removal): nothing to keep. */
  | { kind: 'nothing-to-keep' }
  | { kind: 'too-long'; maxMs: number }
  | { kind: 'too-short'; minMs: number }
  /** Meta (or the bot) could not make the change; the row is open again. */
  | { kind: 'failed'; error: ExecutionError };

/** How long an action owns its row; after it (its process died), another click may act. */
const ACTING_LEASE_MS = 5 * 60_000;
const DIGEST_LOCK = { waitMs: 10_000 };

/**
 * Whether `actorId` may act on the row: an approver of the digest's account who is not the person the row is about
 * (their Slack person linked to its Meta user) nor, for a temporary grant ended outside the bot, whoever asked for
 * that grant; and the row still open. Makes no change.
 */
export async function rowVerdict(
  ctx: DriftContext,
  ref: RowRef,
  actorId: string,
  action: DriftAction,
): Promise<{ kind: 'allowed'; digest: DriftDigest; row: DriftRow } | Exclude<DriftActionResult, { kind: 'done' }>> {
  const digest = await ctx.deps.store.digest(ref.digestId);
  const row = digest?.rows[ref.index];
  if (!digest || !row) return { kind: 'not-found' };
  const account = ctx.deps.accounts.forWaba(digest.wabaId);
  if (!account) return { kind: 'unconfigured', wabaId: digest.wabaId };
  const { approverIds } = account.policy;
  if (!(await account.approvers.isApprover(actorId))) return { kind: 'forbidden', reason: 'not-approver', approverIds };
  if (
    await ctx.interest.of({ targetUserId: row.userId, ...(row.slackId ? { targetSlackId: row.slackId } : {}) }, actorId)
  )
    return { kind: 'forbidden', reason: 'beneficiary', approverIds };
  // Reverting a temporary grant ended outside the bot gives it back: whoever asked for that grant stands to gain.
  for (const grantId of row.kind === 'grant-ended' ? (row.grantIds ?? []) : []) {
    const grant = await ctx.deps.repository.getGrant(grantId);
    if (grant?.requesterId === actorId) return { kind: 'forbidden', reason: 'requester', approverIds };
  }
  const live = liveStatus(row, ctx.clock.now());
  if (live === 'acting') return { kind: 'busy', row };
  if (live === 'final') return { kind: 'already', row };
  if (action === 'temporary' && !actionsFor(row).includes('temporary')) return { kind: 'nothing-to-keep' };
  return { kind: 'allowed', digest, row };
}

/** Open (or left acting by a process that died), acting under someone's lease, or settled. */
function liveStatus(row: DriftRow, now: Date): 'open' | 'acting' | 'final' {
  if (row.status === 'open') return 'open';
  if (row.status === 'acting') return row.leaseUntil && new Date(row.leaseUntil) > now ? 'acting' : 'open';
  return 'final';
}

/**
 * An approver acts on a row: Accept records the change as the new baseline (and, for a person with temporary grants,
 * ends those it took away and adopts the rest); Revert puts back what the bot expected; Make temporary keeps what the
 * change gave until `durationMs` from now, as a temporary grant, then restores. The row is claimed first by a
 * conditional write, so any number of clicks act once; a change to Meta rests on a fresh read of the person (one
 * call) and is one write.
 */
export async function actOnRow(
  ctx: DriftContext,
  ref: RowRef,
  actorId: string,
  action: DriftAction,
  options: { durationMs?: number; channelId?: string } = {},
): Promise<DriftActionResult> {
  const verdict = await rowVerdict(ctx, ref, actorId, action);
  if (verdict.kind !== 'allowed') return verdict;
  const account = ctx.deps.accounts.forWaba(verdict.digest.wabaId)!;
  if (action === 'temporary') {
    const { maxMs, minMs } = account.policy.durations;
    const durationMs = options.durationMs ?? 0;
    if (durationMs > maxMs) return { kind: 'too-long', maxMs };
    if (durationMs < minMs) return { kind: 'too-short', minMs };
  }
  const claimed = await claim(ctx, ref, actorId, action);
  if (claimed.kind !== 'claimed') return claimed;
  let outcome: Settled;
  try {
    outcome = await ctx.deps.locker.withLock(
      userLockKey(claimed.digest.wabaId, claimed.row.userId),
      () =>
        withWriteCause(`drift:${ref.digestId}`, () =>
          carryOut(ctx, claimed.digest, claimed.row, actorId, action, options),
        ),
      USER_LOCK,
    );
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, digestId: ref.digestId, userId: claimed.row.userId }, 'drift action failed');
    const failure = toExecutionError(error);
    await settle(
      ctx,
      ref,
      actorId,
      { row: { status: 'open', error: failure.userMessage ?? failure.message } },
      'failed',
    );
    return { kind: 'failed', error: failure };
  }
  const settled = await settle(ctx, ref, actorId, outcome, auditEvent(action, outcome));
  for (const grant of outcome.endedGrants ?? []) await tellGrantEnded(ctx, grant);
  if (outcome.row.status === 'superseded') return { kind: 'superseded', row: settled.row };
  await ctx.deps.store.appendPersonEvent(settled.digest.wabaId, settled.row.userId, {
    kind: 'drift-action',
    at: ctx.clock.now().toISOString(),
    digestId: ref.digestId,
    action:
      settled.row.status === 'temporary' ? 'temporary' : settled.row.status === 'reverted' ? 'reverted' : 'accepted',
    actor: actorId,
    tasks: outcome.holds ?? null,
    ...(settled.row.until ? { until: settled.row.until } : {}),
  });
  return { kind: 'done', row: settled.row, digest: settled.digest };
}

function auditEvent(action: DriftAction, outcome: Settled): DriftAuditEntry['event'] {
  if (outcome.row.status === 'superseded') return 'superseded';
  return action === 'accept' ? 'accepted' : action === 'revert' ? 'reverted' : 'made-temporary';
}

/** Marks the row as being acted on by `actorId`, by a conditional write under the digest's lock. */
async function claim(
  ctx: DriftContext,
  ref: RowRef,
  actorId: string,
  action: DriftAction,
): Promise<{ kind: 'claimed'; digest: DriftDigest; row: DriftRow } | Exclude<DriftActionResult, { kind: 'done' }>> {
  try {
    return await ctx.deps.locker.withLock(
      `drift-digest:${ref.digestId}`,
      async () => {
        const digest = await ctx.deps.store.digest(ref.digestId);
        const row = digest?.rows[ref.index];
        if (!digest || !row) return { kind: 'not-found' as const };
        const live = liveStatus(row, ctx.clock.now());
        if (live === 'acting') return { kind: 'busy' as const, row };
        if (live === 'final') return { kind: 'already' as const, row };
        const now = ctx.clock.now();
        const acting: DriftRow = {
          ...row,
          status: 'acting',
          by: actorId,
          at: now.toISOString(),
          leaseUntil: new Date(now.getTime() + ACTING_LEASE_MS).toISOString(),
        };
        const saved = await saveAudited(ctx, withRow(digest, ref.index, acting), {
          digestId: ref.digestId,
          at: now.toISOString(),
          actor: actorId,
          event: 'claimed',
          userId: row.userId,
          detail: action,
        });
        return { kind: 'claimed' as const, digest: saved, row: acting };
      },
      DIGEST_LOCK,
    );
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
}

/** What an action leaves: the row's new fields, what the person holds, and grants it ended. */
interface Settled {
  row: Partial<DriftRow> & { status: DriftRow['status'] };
  holds?: Access;
  endedGrants?: TemporaryGrant[];
}

/** The action itself, under the person's lock. */
async function carryOut(
  ctx: DriftContext,
  digest: DriftDigest,
  row: DriftRow,
  actorId: string,
  action: DriftAction,
  options: { durationMs?: number; channelId?: string },
): Promise<Settled> {
  const { repository } = ctx.deps;
  const account = ctx.deps.accounts.forWaba(digest.wabaId);
  if (!account) throw new UnconfiguredAccountError(digest.wabaId);
  const waba = account.waba;
  const ledger = await repository.getLedger(digest.wabaId, row.userId);
  const live: TemporaryGrant[] = [];
  for (const id of ledger?.liveGrantIds ?? []) {
    const grant = await repository.getGrant(id);
    if (grant && grant.state !== 'ended') live.push(grant);
  }
  const done = { by: actorId, at: ctx.clock.now().toISOString() };

  if (action === 'accept' && !ledger) {
    // Nothing to write and nothing of the bot's to keep in step: the change is the baseline already.
    return { row: { status: 'accepted', ...done }, holds: row.found };
  }
  const now = (await waba.currentAccess(row.userId))?.tasks ?? null;
  if (action === 'revert' && sameAccess(now, row.expected))
    return { row: { status: 'reverted', ...done, now, alreadyDone: true }, holds: now };
  if (!sameAccess(now, row.found)) return { row: { status: 'superseded', ...done, now } };

  if (action === 'accept') {
    const accepted = acceptedLedger(ledger!, live, now);
    await repository.saveLedger(digest.wabaId, row.userId, accepted.ledger);
    const endedGrants = accepted.lost.map(
      (grant): TemporaryGrant => ({
        ...grant,
        state: 'ended',
        outcome: 'lost',
        endedAt: done.at,
        endedBy: actorId,
        finalTasks: now,
      }),
    );
    for (const grant of endedGrants) {
      await repository.saveGrant(grant);
      await repository.setGrantLive(grant.id, false);
      await ctx.writer.audit(
        { id: grant.requestId, wabaId: grant.wabaId },
        actorId,
        'grant-ended',
        `lost: ended outside the bot; accepted from drift report ${digest.id}`,
      );
    }
    return { row: { status: 'accepted', ...done }, holds: now, endedGrants };
  }
  if (action === 'revert') {
    await waba.setTasks(row.userId, row.expected);
    return { row: { status: 'reverted', ...done }, holds: row.expected };
  }

  // Make temporary: what the change gave becomes a temporary grant on top of what the bot expected.
  const durationMs = options.durationMs ?? 0;
  const id = ctx.newId();
  const plan = temporaryLedger(ledger, live, row, id);
  if (!sameAccess(now, plan.target)) await waba.setTasks(row.userId, plan.target);
  const at = ctx.clock.now();
  const endsAt = new Date(at.getTime() + durationMs).toISOString();
  const request: Succeeded = {
    id,
    kind: 'grant',
    wabaId: digest.wabaId,
    accountAlias: account.policy.alias,
    targetUserId: row.userId,
    ...(row.name ? { targetName: row.name } : {}),
    tasks: plan.added,
    currentTasks: now,
    afterTasks: plan.target,
    requesterId: actorId,
    originChannelId: options.channelId ?? account.policy.approvalChannelId ?? actorId,
    reason: `Given outside the bot; kept for a while from drift report ${digest.id}`,
    durationMs,
    createdAt: at.toISOString(),
    expiresAt: at.toISOString(),
    approvalMessages: [],
    decisions: [{ by: actorId, at: at.toISOString(), decision: 'approve' }],
    updatedAt: at.toISOString(),
    state: 'succeeded',
    finishedAt: at.toISOString(),
    resultTasks: plan.target,
  };
  await ctx.writer.persist(request, actorId, `made temporary from drift report ${digest.id}`);
  const grant = grantFor(request, plan.added, at, new Date(endsAt));
  await repository.saveGrant(grant);
  await repository.setGrantLive(grant.id, true);
  await repository.saveLedger(digest.wabaId, row.userId, plan.ledger);
  await ctx.writer.audit(
    { id, wabaId: digest.wabaId },
    actorId,
    'grant-started',
    `ends ${endsAt}; from drift report ${digest.id}`,
  );
  return { row: { status: 'temporary', ...done, until: endsAt, grantId: id }, holds: plan.target };
}

/** Records how the action ended on the row (a conditional write under the digest's lock) and redraws the digest. */
async function settle(
  ctx: DriftContext,
  ref: RowRef,
  actorId: string,
  outcome: Pick<Settled, 'row'>,
  event: DriftAuditEntry['event'],
): Promise<{ digest: DriftDigest; row: DriftRow }> {
  const saved = await ctx.deps.locker.withLock(
    `drift-digest:${ref.digestId}`,
    async () => {
      const digest = (await ctx.deps.store.digest(ref.digestId))!;
      const current = digest.rows[ref.index]!;
      const { leaseUntil: _lease, error: _error, ...rest } = current;
      const row: DriftRow = { ...rest, ...outcome.row };
      const detail =
        row.status === 'temporary'
          ? `kept until ${row.until}`
          : row.status === 'superseded'
            ? `changed again: now ${(row.now ?? []).join(',') || 'no access'}`
            : row.error;
      const stored = await saveAudited(ctx, withRow(digest, ref.index, row), {
        digestId: ref.digestId,
        at: ctx.clock.now().toISOString(),
        actor: actorId,
        event,
        userId: row.userId,
        ...(detail ? { detail } : {}),
      });
      return { digest: stored, row };
    },
    { waitMs: 30_000 },
  );
  await updateMessages(ctx, saved.digest);
  return saved;
}

function withRow(digest: DriftDigest, index: number, row: DriftRow): DriftDigest {
  return { ...digest, rows: digest.rows.map((existing, i) => (i === index ? row : existing)) };
}

/** Tells the people of a temporary grant that ended outside the bot (its approval message, its requester). */
async function tellGrantEnded(ctx: DriftContext, grant: TemporaryGrant): Promise<void> {
  try {
    const request = await ctx.deps.repository.get(grant.requestId);
    if (request) await ctx.deps.requestNotifier.grantChanged(grant, request);
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, grantId: grant.id }, 'could not tell Slack a grant ended outside the bot');
  }
}

/** Shows another page of a digest in one of its messages. */
export async function showPage(
  ctx: DriftContext,
  digestId: string,
  message: { channel: string; ts: string },
  page: number,
): Promise<DriftDigest | undefined> {
  try {
    const digest = await ctx.deps.locker.withLock(
      `drift-digest:${digestId}`,
      async () => {
        const digest = await ctx.deps.store.digest(digestId);
        if (!digest) return undefined;
        const messages = digest.messages.map((ref) =>
          ref.channel === message.channel && ref.ts === message.ts ? { ...ref, page: Math.max(0, page) } : ref,
        );
        return ctx.deps.store.saveDigest({ ...digest, messages });
      },
      DIGEST_LOCK,
    );
    if (digest) await updateMessages(ctx, digest);
    return digest;
  } catch (error) {
    if (isContention(error)) return undefined;
    throw error;
  }
}
