import { GraphError, GraphInputError } from '../../graph/errors.js';
import { UnconfiguredAccountError } from '../accounts.js';
import type { TemporaryGrant } from '../grants.js';
import { type AccessRequest, type Executing, type ExecutionError, fail, succeed } from '../request.js';
import { ExtensionTooLongError, GrantNotLiveError } from '../temporary-access.js';
import type { UseCaseContext } from './context.js';

/**
 * Carries out an approved request on Graph through the account's WABA (a grant, an extension or a revoke), records
 * how it ended, and tells people. The caller has moved the request to `executing` under its lock.
 */
export async function execute(ctx: UseCaseContext, request: Executing): Promise<AccessRequest> {
  let final: AccessRequest;
  let grant: TemporaryGrant | undefined;
  try {
    if (request.kind === 'grant') {
      const result = await ctx.temporary.applyGrant(request);
      final = succeed(request, ctx.clock.now(), result.resultTasks);
      grant = result.grant;
    } else if (request.kind === 'extend') {
      grant = await ctx.temporary.applyExtension(request);
      final = succeed(request, ctx.clock.now(), grant.tasks);
    } else {
      const removed = await ctx.temporary.applyRevoke(request);
      final = succeed(request, ctx.clock.now(), [], { hadNoAccess: !removed });
    }
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, requestId: request.id }, 'graph change failed');
    final = fail(request, ctx.clock.now(), toExecutionError(error));
  }
  const settled = await ctx.writer.settle(final);
  if (settled.ours) await notify(ctx, settled.request, grant);
  return settled.request;
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
