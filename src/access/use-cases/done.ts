import type { TemporaryGrant } from '../grants.js';
import type { EndResult } from '../temporary-access.js';
import type { UseCaseContext } from './context.js';
import { asksOrHolds } from './grant-actions.js';

/** How "I'm done" went: as the grant's end went, or why nothing was done. */
export type DoneResult =
  | EndResult
  /** Only the person who asked for the grant, or the person it is for, says they are done with it. */
  | { kind: 'not-yours'; grant: TemporaryGrant };

/**
 * The person who asked for a temporary grant, or the person it is for, gives the access back before its time. No
 * approval is needed (access only shrinks): the grant ends the way expiry ends it, putting back what the user held
 * before (or asking approvers when their access changed meanwhile), once however often it is clicked.
 */
export async function endAsDone(ctx: UseCaseContext, grantId: string, actorId: string): Promise<DoneResult> {
  const grant = await ctx.deps.repository.getGrant(grantId);
  if (!grant || !ctx.deps.accounts.forWaba(grant.wabaId)) return { kind: 'not-live', ...(grant ? { grant } : {}) };
  if (!(await asksOrHolds(ctx, grant, actorId))) return { kind: 'not-yours', grant };
  return ctx.temporary.end(grantId, actorId, 'done');
}
