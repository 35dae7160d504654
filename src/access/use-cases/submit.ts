import { GraphError } from '../../graph/errors.js';
import type { Account, AccountPolicy } from '../accounts.js';
import type { SubmitRefusal } from '../outcomes.js';
import { approvalsNeeded } from '../policy.js';
import { cancel, type Pending } from '../request.js';
import { checkDraft } from '../rules.js';
import { normalizeTasks, type Task } from '../tasks.js';
import { type PersonAccess, PersonEdgeError } from '../waba.js';
import type { UseCaseContext } from './context.js';

export interface SubmitInput {
  kind: 'grant' | 'revoke';
  /** The account's alias; unset: the default account. */
  account?: string;
  userId: string;
  /** The Slack person the Meta user is, shown beside the id. */
  targetSlackId?: string;
  tasks?: Task[];
  reason?: string;
  /** How long a grant lasts; `permanent` to ask for no end. Unset: the configured default. */
  duration?: number | 'permanent';
  requesterId: string;
  channelId: string;
}

/** A request filed and announced, or why nothing was stored (see SubmitRefusal). */
export type SubmitResult = { kind: 'submitted'; request: Pending; account: AccountPolicy } | SubmitRefusal;

/**
 * Files a grant or revoke: checks the draft against the rulebook, reads what the user holds now, refuses at once
 * what would change nothing, then stores the request and asks the approvers.
 */
export async function submit(ctx: UseCaseContext, input: SubmitInput): Promise<SubmitResult> {
  const requested = input.tasks ?? [];
  // The account is resolved here, not by the caller: a reload since the ack may have removed it.
  const rules = await checkDraft(ctx.deps.accounts, input.account, { ...input, tasks: requested });
  if (rules.kind === 'problems') return rules.problems[0]!.problem;
  const { account, durationMs } = rules;
  const read = await readForFiling(ctx, account, input.userId);
  // Each refusal below rests on the fresh read just made; when Meta could not answer, nothing is refused on a
  // guess: the request is filed, says so, and the bot reads again before it writes.
  if (read.kind === 'unknown-user') return { kind: 'unknown-user', userId: input.userId };
  const current = read.kind === 'holds' ? read : null;
  let afterTasks: Task[];
  if (input.kind === 'revoke') {
    if (read.kind === 'none') return { kind: 'no-access', userId: input.userId };
    afterTasks = [];
  } else {
    const held = new Set(current?.tasks ?? []);
    if (current && requested.every((task) => held.has(task)))
      return { kind: 'already-has', userId: input.userId, tasks: requested };
    afterTasks = normalizeTasks([...(current?.tasks ?? []), ...requested]);
  }

  return file(
    ctx,
    newRequest(ctx, {
      kind: input.kind,
      wabaId: account.waba.wabaId,
      accountAlias: account.policy.alias,
      targetUserId: input.userId,
      ...(current?.name ? { targetName: current.name } : {}),
      ...(input.targetSlackId ? { targetSlackId: input.targetSlackId } : {}),
      tasks: requested,
      currentTasks: current?.tasks ?? null,
      ...(read.kind === 'unreadable' ? { currentUnknown: read.why } : {}),
      afterTasks,
      requesterId: input.requesterId,
      originChannelId: input.channelId,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(durationMs ? { durationMs } : {}),
    }),
    account,
  );
}

/** The bookkeeping every new request starts with; the rest is what it asks for. */
type Asked = Omit<Pending, 'id' | 'state' | 'createdAt' | 'expiresAt' | 'approvalMessages' | 'decisions' | 'updatedAt'>;

/** A request asked for now: a fresh id, waiting at most `requestTtlMs` for a decision, nothing decided yet. */
export function newRequest(ctx: UseCaseContext, asked: Asked): Pending {
  const now = ctx.clock.now();
  return {
    id: ctx.newId(),
    state: 'pending',
    ...asked,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ctx.deps.requestTtlMs).toISOString(),
    approvalMessages: [],
    decisions: [],
    updatedAt: now.toISOString(),
  };
}

/**
 * What the user holds, read afresh for a new request. Meta being throttled or down does not lose the request: the
 * read is then `unreadable`, with Meta's words for why.
 */
async function readForFiling(
  ctx: UseCaseContext,
  account: Account,
  userId: string,
): Promise<PersonAccess | { kind: 'unreadable'; why: string }> {
  try {
    // Never the roster here: a page per 100 people for each request filed would spend the WABA's budget.
    return await account.waba.personAccess(userId, { orRoster: false });
  } catch (error) {
    const unreadable =
      error instanceof PersonEdgeError ||
      (error instanceof GraphError && (error.retryable || error.category === 'unknown'));
    if (!unreadable) throw error;
    ctx.deps.logger?.warn({ err: error, userId }, 'filing a request without knowing current access');
    return { kind: 'unreadable', why: error.message };
  }
}

/**
 * Stores a new request (a grant, revoke or extension) and posts its approval message; cancels it when nobody can
 * be asked, and refuses it when too few approvers could decide it.
 */
export async function file(ctx: UseCaseContext, asked: Pending, account: Account): Promise<SubmitResult> {
  // A revoke only takes access away: it needs the default count, whatever the user held.
  const required = approvalsNeeded(account.policy.approvals, asked.kind === 'revoke' ? [] : asked.tasks);
  const possible = await ctx.interest.possibleApprovers(asked, account);
  if (possible.length < required)
    return { kind: 'too-few-approvers', account: account.policy.alias, required, possible: possible.length };
  const request: Pending = required > 1 ? { ...asked, approvalsRequired: required } : asked;
  const { writer } = ctx;
  await writer.persist(request, request.requesterId);

  try {
    const messages = await ctx.deps.notifier.announce(request);
    const announced: Pending = { ...request, approvalMessages: messages };
    await writer.withLock(request.id, async () => {
      // A fast approver may already have decided; keep their decision and only add where the messages are.
      const latest = (await ctx.deps.repository.get(request.id)) ?? announced;
      await writer.save(
        { ...latest, approvalMessages: messages },
        { actor: request.requesterId, event: 'announced', detail: `${messages.length} message(s)` },
      );
    });
    return { kind: 'submitted', request: announced, account: account.policy };
  } catch (error) {
    // Nobody could be asked, so the request must not wait for an approval that cannot come.
    ctx.deps.logger?.error({ err: error, requestId: request.id }, 'could not post approval message');
    await writer.withLock(request.id, async () => {
      const latest = await ctx.deps.repository.get(request.id);
      if (latest?.state === 'pending') {
        await writer.persist(
          cancel(latest, 'system', ctx.clock.now()),
          'system',
          'approval message could not be posted',
        );
      }
    });
    return { kind: 'not-announced' };
  }
}
