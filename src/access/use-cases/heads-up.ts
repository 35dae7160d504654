import type { TemporaryGrant } from '../grants.js';
import { isContention } from '../ports.js';
import type { UseCaseContext } from './context.js';

/**
 * Whether the heads-up before a grant's end is due at `now`: the grant is active, its end is at most `noticeMs` away
 * and not yet past, nothing was sent for this end yet (an extension moves the end, and gets a heads-up of its own),
 * and the window opened after the grant began (a grant shorter than the window gets none).
 */
export function noticeDue(grant: TemporaryGrant, now: Date, noticeMs: number): boolean {
  if (grant.state !== 'active' || grant.noticeSentFor === grant.endsAt) return false;
  const end = Date.parse(grant.endsAt);
  const opens = end - noticeMs;
  return now.getTime() >= opens && now.getTime() < end && Date.parse(grant.startsAt) < opens;
}

/**
 * Tells the person who asked for each grant ending within `expiryNoticeMs`, and the person it is for when known,
 * once per grant and end: the notice is claimed on the grant in the store before anyone is told, so restarts and
 * replicas do not send it twice. Returns how many grants' people were told.
 */
export async function sendExpiryNotices(ctx: UseCaseContext): Promise<number> {
  const noticeMs = ctx.deps.expiryNoticeMs;
  if (noticeMs === undefined) return 0;
  const due = (grant: TemporaryGrant) => noticeDue(grant, ctx.clock.now(), noticeMs);
  let count = 0;
  for (const seen of await ctx.temporary.live()) {
    if (!due(seen)) continue;
    let grant: TemporaryGrant | undefined;
    try {
      grant = await ctx.temporary.claimNotice(seen.id, due);
    } catch (error) {
      // The grant is being carried out, extended or ended right now: the next sweep looks again.
      if (isContention(error)) continue;
      throw error;
    }
    const request = grant && (await ctx.deps.repository.get(grant.requestId));
    if (!grant || !request) continue;
    const people = [...new Set([grant.requesterId, ...(grant.targetSlackId ? [grant.targetSlackId] : [])])];
    try {
      await ctx.deps.notifier.grantEndingSoon(grant, request, people);
      await ctx.writer.audit(
        { id: grant.requestId, wabaId: grant.wabaId },
        'system',
        'expiry-notice-sent',
        `ends ${grant.endsAt}: told ${people.join(', ')}`,
      );
      count++;
    } catch (error) {
      ctx.deps.logger?.warn({ err: error, grantId: grant.id }, 'could not send the heads-up before a grant ends');
    }
  }
  return count;
}
