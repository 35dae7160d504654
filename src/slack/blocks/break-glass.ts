import type { PersonOrigin } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import type { TemporaryGrant } from '../../access/grants.js';
import { type AccessRequest, type BreakGlassReview, isFinal } from '../../access/request.js';
import type { BreakGlassResult } from '../../access/service.js';
import { code, join, link, type Mrkdwn, mention, mrkdwn, slackDate, taskList, withoutBold } from '../format.js';
import { ACTION } from '../ids.js';
import { actions, blockId, button, context, divider, fields, header, message, section } from './kit.js';
import { refusalWords } from './outcomes.js';
import { saidMessage } from './replies.js';
import { failureText, grantButtons, grantText, outcomeText, retryButton, summary, userField } from './request.js';
import type { Block, MessageBody } from './types.js';

/** How a review came out, in words. */
export function reviewWords(review: BreakGlassReview, grant?: TemporaryGrant): Mrkdwn {
  if (review.verdict === 'looks-right')
    return mrkdwn`✅ Reviewed by ${mention(review.by)} ${slackDate(review.at)}: looks right.`;
  // Revoke now that could not end the access (Meta refused): the access still runs, and says so.
  if (grant?.state === 'active')
    return mrkdwn`🛑 Reviewed by ${mention(review.by)} ${slackDate(review.at)}: to be revoked, but the access still runs (Meta did not take the change); an approver’s Revoke now tries again.`;
  return mrkdwn`🛑 Reviewed by ${mention(review.by)} ${slackDate(review.at)}: access revoked.`;
}

/**
 * The announcement of a break-glass use, where the account's approvers decide and in each approver's DMs, kept up
 * to date: who used it, for whom, why, how it went, and the review — **Looks right** or **Revoke now** — until an
 * approver other than its user and the person it is for has given one.
 */
export function emergencyMessage(request: AccessRequest, grant?: TemporaryGrant, origin?: PersonOrigin): MessageBody {
  const account = request.accountAlias ? mrkdwn`*${request.accountAlias}* · ` : mrkdwn``;
  const blocks: Block[] = [
    header('🚨 Break-glass access'),
    fields([
      mrkdwn`*Used by*\n${mention(request.requesterId)} ${slackDate(request.createdAt)}`,
      userField(request, origin),
      mrkdwn`*WhatsApp Business Account*\n${account}${code(request.wabaId)}`,
      mrkdwn`*Tasks*\n${taskList(request.tasks)}`,
      mrkdwn`*Length*\n${formatDuration(request.durationMs ?? 0)}, then back to what the user had before`,
    ]),
  ];
  if (request.reason) blocks.push(section(mrkdwn`*Reason*\n${request.reason}`));
  blocks.push(
    context(
      mrkdwn`No approval was asked: break-glass is carried out at once. An approver other than ${mention(request.requesterId)} and the person it is for reviews it. Request ${code(request.id)}`,
    ),
    divider(),
    section(outcomeText(request, grant)),
  );
  const review = request.emergency?.review;
  if (review) {
    blocks.push(section(reviewWords(review, grant)));
    if (grant?.state === 'active') blocks.push(grantButtons(grant));
  } else {
    blocks.push(section(mrkdwn`👀 *Waiting for review* by an approver other than ${mention(request.requesterId)}.`));
    if (isFinal(request)) blocks.push(reviewButtons(request, grant));
  }
  if (request.state === 'failed') blocks.push(retryButton(request));
  return message(
    mrkdwn`🚨 Break-glass: ${mention(request.requesterId)} gave ${summary(request)} without approval`,
    blocks,
  );
}

/** Looks right and, while the access may still be running, Revoke now. */
function reviewButtons(request: AccessRequest, grant: TemporaryGrant | undefined): Block {
  const running = request.state === 'succeeded' && (grant === undefined || grant.state === 'active');
  return actions(blockId('review', request.id), [
    button(ACTION.breakGlassLooksRight, 'Looks right', request.id, { style: 'primary' }),
    ...(running
      ? [
          button(ACTION.breakGlassRevoke, 'Revoke now', request.id, {
            style: 'danger',
            confirm: {
              title: { type: 'plain_text', text: 'Revoke this access now?' },
              text: { type: 'plain_text', text: 'The user goes back to the access they had before it.' },
              confirm: { type: 'plain_text', text: 'Revoke now' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          }),
        ]
      : []),
  ]);
}

/** What the person who used break-glass hears once it is reviewed. */
export function reviewedNotice(request: AccessRequest, grant?: TemporaryGrant): MessageBody {
  const review = request.emergency?.review;
  const text = mrkdwn`Your break-glass use (request ${code(request.id)}: ${summary(request)}): ${review ? reviewWords(review, grant) : mrkdwn`reviewed.`}`;
  return message(withoutBold(text), [section(text)]);
}

/** The one reminder of a break-glass use nobody has reviewed; `permalink` opens its announcement. */
export function reviewReminderMessage(request: AccessRequest, permalink: string | undefined): MessageBody {
  const where = permalink ? link(permalink, 'Open it') : mrkdwn`It is in your direct messages with me.`;
  return message(mrkdwn`Reminder: break-glass request ${request.id} has not been reviewed.`, [
    section(
      mrkdwn`⏰ *Not reviewed yet:* break-glass by ${mention(request.requesterId)} ${slackDate(request.createdAt)}: ${summary(request)}. Please look at it: *Looks right*, or *Revoke now*.`,
    ),
    context(mrkdwn`${where} · Request ${code(request.id)}`),
  ]);
}

/** The answer to someone who used break-glass: what happened at once, or why nothing did. */
export function breakGlassReply(result: BreakGlassResult): MessageBody {
  if (result.kind !== 'carried-out') return saidMessage(refusalWords(result));
  const { request, grant } = result;
  const lines: Mrkdwn[] =
    request.state === 'failed'
      ? [
          mrkdwn`⚠️ *Break-glass recorded, but Meta refused the change*; the approvers have been told and can Retry.`,
          failureText(request.error, 'button'),
        ]
      : [
          mrkdwn`🚨 *Break-glass carried out, without approval:* ${grant ? grantText(grant, request) : outcomeText(request)}`,
          mrkdwn`The approvers have been told; one of them (not you) will review it.`,
        ];
  const text = join(lines, '\n');
  return message(withoutBold(text), [section(text), context(mrkdwn`Request ${code(request.id)}`)]);
}
