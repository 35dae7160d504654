import { GraphError, GraphInputError } from '../../graph/errors.js';
import { UnconfiguredAccountError } from '../accounts.js';
import type { TemporaryGrant } from '../grants.js';
import { type AccessRequest, type Executing, type ExecutionError, fail, succeed } from '../request.js';
import { ExtensionTooLongError, GrantNotLiveError } from '../temporary-access.js';
import { withWriteCause } from '../write-journal.js';
import type { UseCaseContext } from './context.js';

/**
 * Carries out an approved request on Graph through the account's WABA (a grant, an extension or a revoke), records
 * how it ended, and tells people. The caller has moved the request to `executing` under its lock.
 */
export async function execute(ctx: UseCaseContext, request: Executing): Promise<AccessRequest> {
  let final: AccessRequest;
  let grant: TemporaryGrant | undefined;
  try {
    // Each write says which request made it, for the person's history.
    ({ final, grant } = await withWriteCause(`request:${request.id}`, () => apply(ctx, request)));
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, requestId: request.id }, 'graph change failed');
    final = fail(request, ctx.clock.now(), toExecutionError(error), ctx.deps.requestTtlMs);
  }
  const settled = await ctx.writer.settle(final);
  if (settled.ours) await notify(ctx, settled.request, grant);
  return settled.request;
}

/** Makes the change a request asks for; throws when it could not be made. */
async function apply(
  ctx: UseCaseContext,
  request: Executing,
): Promise<{ final: AccessRequest; grant?: TemporaryGrant | undefined }> {
  if (request.kind === 'grant' && request.review?.choice === 'temporary') {
    const result = await ctx.temporary.applyTemporaryKeep(request);
    return {
      final: succeed(request, ctx.clock.now(), result.held ?? [], { hadNoAccess: !result.held }),
      grant: result.grant,
    };
  }
  if (request.kind === 'grant') {
    const result = await ctx.temporary.applyGrant(request);
    return { final: succeed(request, ctx.clock.now(), result.resultTasks), grant: result.grant };
  }
  if (request.kind === 'extend') {
    const grant = await ctx.temporary.applyExtension(request);
    return { final: succeed(request, ctx.clock.now(), grant.tasks), grant };
  }
  const removed = await ctx.temporary.applyRevoke(request);
  return { final: succeed(request, ctx.clock.now(), [], { hadNoAccess: !removed }) };
}

/** Tells Slack a request changed; a failure is logged and audited, never thrown. */
export async function notify(ctx: UseCaseContext, request: AccessRequest, grant?: TemporaryGrant): Promise<void> {
  try {
    await ctx.deps.notifier.changed(request, grant);
  } catch (error) {
    // The state is saved; a failed Slack update must not undo or repeat the Graph change.
    ctx.deps.logger?.error({ err: error, requestId: request.id }, 'could not tell Slack about a request');
    await ctx.writer.audit(request, 'system', 'notify-failed', error instanceof Error ? error.message : String(error));
  }
}

/** What went wrong with a change, as a request records it: Meta's error, or a reason of the bot's own. */
export function toExecutionError(error: unknown): ExecutionError {
  if (error instanceof GraphError) {
    return {
      message: error.message,
      category: error.category,
      ...(error.code === undefined ? {} : { code: error.code }),
      ...(error.subcode === undefined ? {} : { subcode: error.subcode }),
      ...(error.fbtraceId ? { fbtraceId: error.fbtraceId } : {}),
      ...(error.userMessage ? { userMessage: error.userMessage } : {}),
      ...(error.retryAt ? { retryAt: error.retryAt.toISOString() } : {}),
    };
  }
  const own = (reason: NonNullable<ExecutionError['reason']>, extra: Partial<ExecutionError> = {}): ExecutionError => ({
    message: error instanceof Error ? error.message : String(error),
    category: reason === 'unexpected' ? 'unknown' : 'invalid',
    reason,
    ...extra,
  });
  if (error instanceof GraphInputError) return own('bad-input');
  if (error instanceof GrantNotLiveError) return own('grant-not-live');
  if (error instanceof UnconfiguredAccountError) return own('account-unconfigured');
  if (error instanceof ExtensionTooLongError) return own('extension-too-long', { maxMs: error.maxMs });
  return own('unexpected');
}
