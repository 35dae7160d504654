import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
  webApi,
} from '@slack/bolt';
import type { AccessRequest } from '../../access/request.js';
import type { CancelResult, DecideResult, DoneResult, GrantActionResult, ReviewResult } from '../../access/service.js';
import { toExecutionError } from '../../access/service.js';
import { reviewWords } from '../blocks/break-glass.js';
import { reply } from '../blocks/kit.js';
import { retryRefusalText } from '../blocks/outcomes.js';
import {
  alreadyDecidedText,
  BUSY_TEXT,
  forbiddenText,
  GRANT_NOT_LIVE_TEXT,
  NOT_FOUND_TEXT,
  problemMessage,
  unconfiguredText,
} from '../blocks/replies.js';
import { approvalProgress, failureText } from '../blocks/request.js';
import type { MessageBody } from '../blocks/types.js';
import { code, join, type Mrkdwn, mention, mrkdwn, taskList } from '../format.js';

/** The private answer to a click that changed nothing; undefined when the message itself shows the change. */
export function clickReply(result: DecideResult): Mrkdwn | undefined {
  switch (result.kind) {
    case 'done':
      return undefined;
    case 'progress':
      return mrkdwn`Your approval is recorded. ${approvalProgress(result.request) ?? ''}`;
    case 'duplicate':
      return mrkdwn`You have already approved this request; another approver has to approve it too. ${approvalProgress(result.request) ?? ''}`;
    case 'forbidden':
      return forbiddenText(result.reason, result.approverIds);
    case 'unconfigured':
      return unconfiguredText(result.request);
    case 'retry-refused':
      return retryRefusalText(result.refusal);
    default:
      return unchangedReply(result);
  }
}

/** The private answer to Cancel. */
export function cancelReply(result: CancelResult): Mrkdwn {
  switch (result.kind) {
    case 'done':
      return mrkdwn`Canceled request ${code(result.request.id)}; the approvers see it as canceled.`;
    case 'not-requester':
      return mrkdwn`Only the person who asked can cancel a request; nothing changed. Approvers can Deny it instead.`;
    default:
      return unchangedReply(result);
  }
}

/** What any click on a request hears when it could not act: decided already, someone else deciding, or gone. */
function unchangedReply(
  result: { kind: 'already'; request: AccessRequest } | { kind: 'busy' } | { kind: 'not-found' },
): Mrkdwn {
  switch (result.kind) {
    case 'already':
      return alreadyDecidedText(result.request);
    case 'busy':
      return BUSY_TEXT;
    case 'not-found':
      return NOT_FOUND_TEXT;
  }
}

/** The private answer to a click on a grant's buttons that changed nothing. */
export function grantClickReply(result: GrantActionResult): Mrkdwn | undefined {
  switch (result.kind) {
    case 'forbidden':
      return forbiddenText(result.reason, result.approverIds);
    case 'not-live':
      return GRANT_NOT_LIVE_TEXT;
    default:
      return undefined;
  }
}

/** The private answer to "I'm done"; the approval message and the approvers hear of it too. */
export function doneReply(result: DoneResult): Mrkdwn {
  switch (result.kind) {
    case 'ended':
      return mrkdwn`Done: the access has ended and the user is back to ${taskList(result.grant.finalTasks ?? null)}. The approvers have been told.`;
    case 'conflict':
      return mrkdwn`The user’s access changed outside this bot meanwhile, so nothing was touched; the approvers have been asked to restore or keep it.`;
    case 'not-live':
      return GRANT_NOT_LIVE_TEXT;
    case 'not-yours':
      return mrkdwn`Only ${mention(result.grant.requesterId)}, who asked for this access, or the person it is for can give it back this way; nothing changed. Approvers can use *Revoke now* on the approval message.`;
  }
}

/** The private answer to a review click that recorded nothing; undefined when the message itself shows the review. */
export function reviewClickReply(result: ReviewResult): Mrkdwn | undefined {
  switch (result.kind) {
    case 'reviewed':
      return result.revokeFailed
        ? mrkdwn`Your review is recorded, but the access could not be revoked: ${result.revokeFailed.userMessage ?? result.revokeFailed.message}. It still runs; click Revoke now on the message to try again.`
        : undefined;
    case 'already-reviewed':
      return mrkdwn`This break-glass use has been reviewed already; nothing changed.\n${reviewWords(result.review)}`;
    case 'forbidden':
      switch (result.reason) {
        case 'own-request':
          return mrkdwn`You used this break-glass access, so another approver has to review it; nothing changed.`;
        case 'beneficiary':
          return mrkdwn`This break-glass access is for you, so another approver has to review it; nothing changed.`;
        case 'not-approver':
          return mrkdwn`Only approvers of this account review break-glass access; nothing changed. The approvers are ${join(result.approverIds.map(mention), ', ')}.`;
      }
      return undefined;
    case 'unconfigured':
      return unconfiguredText(result.request);
    case 'not-found':
      return NOT_FOUND_TEXT;
    case 'busy':
      return mrkdwn`This break-glass access is still being carried out, or someone else is reviewing it; nothing changed. Try again in a moment.`;
  }
}

/** A failure while serving a command, said so the user knows what went wrong and what to do. */
export function failureReply(error: unknown): MessageBody {
  const detail = toExecutionError(error);
  if (detail.category === 'unknown' && detail.code === undefined) {
    return problemMessage(
      mrkdwn`Something went wrong on my side; nothing was changed.`,
      mrkdwn`Try again in a minute; if it keeps happening, tell the bot’s admin.`,
    );
  }
  if (detail.reason) return problemMessage(mrkdwn`Nothing was changed.`, failureText(detail, 'command'));
  return problemMessage(mrkdwn`Meta could not answer.`, failureText(detail, 'command'));
}

/**
 * A button whose handler failed unexpectedly, after the click was acknowledged: said to the clicker rather than left
 * unanswered. What the click did before failing shows on the message itself, so this does not claim nothing changed.
 */
export function clickFailedReply(error: unknown): MessageBody {
  const detail = toExecutionError(error);
  const why =
    detail.category === 'unknown' && detail.code === undefined
      ? mrkdwn`Something went wrong on my side.`
      : failureText(detail, 'command');
  return problemMessage(
    mrkdwn`That click could not be finished. ${why}`,
    mrkdwn`Look at the message again before clicking once more; if it keeps happening, tell the bot’s admin.`,
  );
}

/** What Bolt gives a button's handler. */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** What Bolt gives a form submission's handler. */
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * A private answer to the person who clicked: through the click's response URL, or (buttons in modals and on the
 * Home tab have none) ephemeral in the channel or by DM. Nothing when there is nothing to say.
 */
export async function answerClick(args: ButtonArgs, answer: Mrkdwn | MessageBody | undefined): Promise<void> {
  if (!answer) return;
  const body = 'blocks' in answer ? answer : reply(answer);
  if (args.body.response_url) {
    await args.respond({ response_type: 'ephemeral', replace_original: false, ...body });
    return;
  }
  await tellUser(args.client, args.body.user.id, args.body.channel?.id, body);
}

/** Tells one user something privately: ephemeral in the channel, or by DM where the bot cannot post. */
export async function tellUser(
  client: webApi.WebClient,
  userId: string,
  channelId: string | undefined,
  message: MessageBody,
) {
  if (channelId) {
    try {
      await client.chat.postEphemeral({ channel: channelId, user: userId, ...message });
      return;
    } catch {
      // Not in that channel: fall through to a DM.
    }
  }
  await client.chat.postMessage({ channel: userId, ...message });
}
