import type { webApi } from '@slack/bolt';
import type { Account } from '../../access/accounts.js';
import { formatDuration, parseDuration } from '../../access/duration.js';
import type { RowChoice } from '../../access/review.js';
import { reply as replyBody } from '../blocks/kit.js';
import { FORM_NOT_OPENED_TEXT } from '../blocks/modals.js';
import { reviewClickReply, reviewStartReply, temporaryModal } from '../blocks/review.js';
import type { MessageBody } from '../blocks/types.js';
import { mrkdwn } from '../format.js';
import { FIELD } from '../ids.js';
import { channelPermalink } from '../permalink.js';
import { decodePageRef, decodeRowRef } from '../review-state.js';
import type { ListenerDeps } from './deps.js';
import { openForm, refuse, replaceForm } from './forms.js';
import { answerClick, type ButtonArgs, failureReply, tellUser, type ViewArgs } from './replies.js';
import { yieldToWaitingRequests } from './yield.js';

const STALE_BUTTON = mrkdwn`This button does not belong to a review I know; nothing changed.`;

/** `/waba review [on <account>]`: starts a review, or points to the open one (with a link to it). */
export async function reviewCommandReply(
  deps: ListenerDeps,
  client: webApi.WebClient,
  account: Account,
  userId: string,
): Promise<MessageBody> {
  const result = await deps.service.reviews.start({ account: account.policy.alias, actorId: userId });
  // The answer does without the link when Slack gives none.
  const permalink = result.kind === 'already-open' ? await channelPermalink(client, result.review.messages) : undefined;
  return reviewStartReply(result, permalink);
}

/** Keep or Remove on a review row: decided at once; the review message shows it, refusals come privately. */
export function reviewRowButton(deps: ListenerDeps, choice: Exclude<RowChoice, 'temporary'>) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = decodeRowRef(args.action.value);
    if (!ref) return answerClick(args, STALE_BUTTON);
    await yieldToWaitingRequests();
    try {
      const result = await deps.service.reviews.decide({ ref, actorId: args.body.user.id, choice });
      await answerClick(args, reviewClickReply(result));
    } catch (error) {
      args.logger.warn('review decision failed', error);
      await answerClick(args, failureReply(error));
    }
  };
}

/**
 * Make temporary asks until when. The form opens first (a click's trigger_id lives about 3 seconds); once the row is
 * read it names the person and the limits, or says why the clicker may not decide it, with only Close.
 */
export function reviewTemporaryButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = decodeRowRef(args.action.value);
    if (!ref) return answerClick(args, STALE_BUTTON);
    const view = temporaryModal(ref);
    const form = await openForm(args, view);
    await yieldToWaitingRequests();
    let check: Awaited<ReturnType<typeof deps.service.reviews.temporaryCheck>>;
    try {
      check = await deps.service.reviews.temporaryCheck(ref, args.body.user.id);
    } catch (error) {
      args.logger.warn('review row could not be read', error);
      const failed = mrkdwn`Something went wrong on my side; nothing changed. Click again in a minute.`;
      return refuse(args, form, view.title.text, failed);
    }
    if (check.kind !== 'allowed') return refuse(args, form, view.title.text, reviewClickReply(check));
    if (!form) return answerClick(args, FORM_NOT_OPENED_TEXT);
    await replaceForm(args, form, temporaryModal(ref, check));
  };
}

/**
 * When a Make temporary form's "keep until" ends, in milliseconds from `now`: a duration (`30d`), or a date
 * (`2026-06-30`, until the end of that day in UTC). A problem to show beside the field otherwise.
 */
export function parseUntil(text: string, now: number): { ms: number } | { problem: string } {
  const trimmed = text.trim();
  const duration = parseDuration(trimmed);
  if (duration !== undefined) return { ms: duration };
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    const start = new Date(Date.UTC(year, month, day));
    if (start.getUTCFullYear() !== year || start.getUTCMonth() !== month || start.getUTCDate() !== day)
      return { problem: `${trimmed} is not a date on the calendar.` };
    const end = Date.UTC(year, month, day + 1);
    if (end <= now) return { problem: 'That day has passed: choose a later one.' };
    return { ms: end - now };
  }
  return { problem: 'Use a duration such as 30d, 2w or 12h, or a date such as 2026-06-30.' };
}

/**
 * The Make temporary form: the time is checked before the ack (the form stays open with the problem beside the
 * field), then the row is decided like Keep and Remove.
 */
export function reviewTemporarySubmission(deps: ListenerDeps) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const ref = decodeRowRef(view.private_metadata);
    const actorId = body.user.id;
    const text = view.state.values[FIELD.until]?.[FIELD.until]?.value ?? '';
    const until = parseUntil(text, Date.now());
    if (!ref) return ack({ response_action: 'errors', errors: { [FIELD.until]: STALE_BUTTON.text } });
    if ('problem' in until) return ack({ response_action: 'errors', errors: { [FIELD.until]: until.problem } });
    let check: Awaited<ReturnType<typeof deps.service.reviews.temporaryCheck>>;
    try {
      check = await deps.service.reviews.temporaryCheck(ref, actorId);
    } catch (error) {
      logger.warn('review row could not be read', error);
      return ack({
        response_action: 'errors',
        errors: { [FIELD.until]: 'Something went wrong on my side; nothing changed. Submit again in a minute.' },
      });
    }
    if (check.kind === 'allowed' && (until.ms > check.maxMs || until.ms < check.minMs)) {
      const limit =
        until.ms > check.maxMs
          ? `That is longer than this account allows (${formatDuration(check.maxMs)} at most).`
          : `That is shorter than this account allows (${formatDuration(check.minMs)} at least).`;
      return ack({ response_action: 'errors', errors: { [FIELD.until]: limit } });
    }
    await ack();
    try {
      const result =
        check.kind === 'allowed'
          ? await deps.service.reviews.decide({ ref, actorId, choice: 'temporary', durationMs: until.ms })
          : check;
      const refusal = reviewClickReply(result);
      if (refusal) await tellUser(client, actorId, undefined, replyBody(refusal));
    } catch (error) {
      logger.warn('review decision failed', error);
      await tellUser(client, actorId, undefined, failureReply(error));
    }
  };
}

/** Previous and Next: the message shows another page of the review, in place. */
export function reviewPageButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const target = decodePageRef(args.action.value);
    const channel = args.body.channel?.id;
    const ts = args.body.message?.ts ?? args.body.container?.message_ts;
    if (!target || !channel || !ts) return answerClick(args, STALE_BUTTON);
    // A failure goes on to the router, which tells the clicker, as for every button.
    const shown = await deps.service.reviews.showPage({ ...target, channel, ts: String(ts) });
    if (shown.kind === 'not-found') await answerClick(args, STALE_BUTTON);
    if (shown.kind === 'busy')
      await answerClick(args, mrkdwn`Someone is deciding on this review right now; click again in a moment.`);
  };
}
