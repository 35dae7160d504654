import type { types } from '@slack/bolt';
import type { PersonOrigin } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { AccessRequest, ExecutionError } from '../../access/request.js';
import { approvalsOf, approvalsRequired, decider } from '../../access/request.js';
import { code, join, type Mrkdwn, mention, mrkdwn, slackDate, taskList, withoutBold } from '../format.js';
import { ACTION } from '../ids.js';
import { encodePrefill, endedEmpty, prefillOf } from '../request-again.js';
import { actions, blockId, button, context, divider, fields, header, message, section } from './kit.js';
import type { Block, MessageBody } from './types.js';

/** How the user is named in messages: Meta name when known, the id always. */
export function targetLabel(request: AccessRequest): Mrkdwn {
  const meta = request.targetName
    ? mrkdwn`*${request.targetName}* (${code(request.targetUserId)})`
    : code(request.targetUserId);
  return request.targetSlackId ? mrkdwn`${mention(request.targetSlackId)} · ${meta}` : meta;
}

/**
 * Where the target's identity comes from, for approvers to weigh: who linked the Slack person to this Meta user and
 * when, or the policy file.
 */
export function originText(origin: PersonOrigin | undefined): Mrkdwn | undefined {
  switch (origin?.kind) {
    case undefined:
      return undefined;
    case 'listed':
      return mrkdwn`_Listed in the policy file_`;
    case 'linked':
      return mrkdwn`_Linked by ${mention(origin.by)} ${slackDate(origin.at)}_`;
    case 'no-longer-linked':
      return mrkdwn`⚠️ _No longer linked to ${mention(origin.slackId)}: check who this Meta user is before approving_`;
  }
}

/** The User field: the person and Meta user, and where that pairing comes from. */
export function userField(request: AccessRequest, origin: PersonOrigin | undefined): Mrkdwn {
  const from = originText(origin);
  return from ? mrkdwn`*User*\n${targetLabel(request)}\n${from}` : mrkdwn`*User*\n${targetLabel(request)}`;
}

/** What a request asks for, in one phrase: tasks and length, an extension, or a removal. */
export function summary(request: AccessRequest): Mrkdwn {
  if (request.kind === 'extend')
    return mrkdwn`${formatDuration(request.durationMs ?? 0)} more of ${taskList(request.tasks)} for ${targetLabel(request)}`;
  if (request.kind === 'revoke') return mrkdwn`removal of ${targetLabel(request)}`;
  const length = request.durationMs ? mrkdwn` for ${formatDuration(request.durationMs)}` : mrkdwn``;
  return mrkdwn`${taskList(request.tasks)} for ${targetLabel(request)}${length}`;
}

/** How long a grant lasts, in words. */
function lengthText(request: AccessRequest): Mrkdwn {
  if (request.kind === 'extend') {
    const oldEnd = request.grantEndsAt ?? request.createdAt;
    const newEnd = new Date(new Date(oldEnd).getTime() + (request.durationMs ?? 0));
    return mrkdwn`*Extends by ${formatDuration(request.durationMs ?? 0)}*\nEnds ${slackDate(oldEnd)} → ${slackDate(newEnd)}`;
  }
  if (!request.durationMs) return mrkdwn`*Duration*\nPermanent`;
  const before = request.currentUnknown
    ? mrkdwn`what the user holds when it is approved`
    : taskList(request.currentTasks);
  return mrkdwn`*Duration*\n${formatDuration(request.durationMs)} from approval, then back to ${before}`;
}

/** Current access as read when the request was made, or why Meta could not say. */
function currentText(request: AccessRequest): Mrkdwn {
  return request.currentUnknown
    ? mrkdwn`_unknown (Meta: ${request.currentUnknown}); read again before any change_`
    : taskList(request.currentTasks);
}

function changeText(request: AccessRequest): Mrkdwn {
  if (request.kind === 'extend') {
    return mrkdwn`*Keeps* ${taskList(request.tasks)} for longer; nothing else changes.`;
  }
  if (request.kind === 'revoke') {
    return mrkdwn`*Removes the user from the account, with all their tasks*\n${currentText(request)} → _no access_`;
  }
  const added = request.afterTasks.filter((task) => !request.currentTasks?.includes(task));
  const after = request.currentUnknown
    ? mrkdwn`what they hold plus ${taskList(request.tasks)}`
    : taskList(request.afterTasks);
  return mrkdwn`*Current → after*\n${currentText(request)} → ${after}\n_Adds ${taskList(added)}; keeps everything the user has now._`;
}

/**
 * The approval message: what is asked, by whom, for whom (and who vouched for that pairing), the change it makes,
 * and — while pending — the buttons.
 */
export function approvalMessage(request: AccessRequest, grant?: TemporaryGrant, origin?: PersonOrigin): MessageBody {
  const title = {
    grant: 'WABA access request',
    revoke: 'WABA access removal request',
    extend: 'WABA access extension request',
  }[request.kind];
  const account = request.accountAlias ? mrkdwn`*${request.accountAlias}* · ` : mrkdwn``;
  const blocks: Block[] = [
    header(title),
    fields([
      mrkdwn`*Requested by*\n${mention(request.requesterId)}`,
      userField(request, origin),
      mrkdwn`*WhatsApp Business Account*\n${account}${code(request.wabaId)}`,
      mrkdwn`*Decide by*\n${slackDate(request.expiresAt)}`,
      ...(request.kind === 'revoke' ? [] : [lengthText(request)]),
    ]),
    section(changeText(request)),
  ];
  if (request.reason) blocks.push(section(mrkdwn`*Reason*\n${request.reason}`));
  blocks.push(context(mrkdwn`Request ${code(request.id)}`));

  if (request.state === 'pending') {
    const progress = approvalProgress(request);
    if (progress) blocks.push(context(mrkdwn`🗳️ ${progress}`));
    blocks.push(decideButtons(request.id));
  } else {
    blocks.push(divider());
    blocks.push(section(outcomeText(request, grant)));
    if (grant?.state === 'active') blocks.push(grantButtons(grant));
    if (request.state === 'failed') blocks.push(retryButton(request));
  }
  const fallback =
    request.state === 'pending'
      ? mrkdwn`${mention(request.requesterId)} asks for ${summary(request)}`
      : mrkdwn`Request ${request.id}: ${request.state}`;
  return message(fallback, blocks);
}

/** Extend and Revoke now, for approvers, under a temporary grant that is running. */
export function grantButtons(grant: TemporaryGrant): Block {
  return actions(blockId('grant', grant.id), [
    button(ACTION.extend, 'Extend', grant.id),
    button(ACTION.revokeNow, 'Revoke now', grant.id, {
      style: 'danger',
      confirm: {
        title: { type: 'plain_text', text: 'End this access now?' },
        text: { type: 'plain_text', text: 'The user goes back to the access they had before this grant.' },
        confirm: { type: 'plain_text', text: 'Revoke now' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    }),
  ]);
}

/** Retry, for approvers, under a request Meta refused. */
export function retryButton(request: AccessRequest): Block {
  return actions(blockId('retry', request.id), [button(ACTION.retry, 'Retry', request.id)]);
}

/**
 * Request again: opens the request form filled in as this request was, for whoever clicks (it becomes their own
 * request, checked like any other). Undefined for what the form does not ask for (extensions).
 */
export function requestAgainButton(request: AccessRequest): Block | undefined {
  const again = requestAgainElement(request);
  return again && actions(blockId('again', request.id), [again]);
}

/** The Request again button on its own, e.g. beside a line of a list. */
export function requestAgainElement(request: AccessRequest): types.Button | undefined {
  const prefill = prefillOf(request);
  return prefill && button(ACTION.requestAgain, 'Request again', encodePrefill(prefill));
}

/** Approve and Deny for a pending request; the same row wherever the request is shown. */
export function decideButtons(requestId: string): Block {
  return actions(blockId('decide', requestId), [
    button(ACTION.approve, 'Approve', requestId, { style: 'primary' }),
    button(ACTION.deny, 'Deny', requestId, { style: 'danger' }),
  ]);
}

/** For a request that needs several approvals: how many it has, from whom, and how many more it needs. */
export function approvalProgress(request: AccessRequest): Mrkdwn | undefined {
  const required = approvalsRequired(request);
  if (required < 2) return undefined;
  const approvals = approvalsOf(request);
  if (approvals.length === 0) return mrkdwn`Needs ${required} approvals from different approvers; none yet.`;
  const missing = required - approvals.length;
  const more = missing > 0 ? mrkdwn` Needs ${missing} more.` : mrkdwn``;
  return mrkdwn`${approvals.length} of ${required}: approved by ${listOf(approvals.map((a) => mention(a.by)))}.${more}`;
}

function listOf(items: Mrkdwn[]): Mrkdwn {
  if (items.length < 3) return join(items, ' and ');
  return mrkdwn`${join(items.slice(0, -1), ', ')} and ${items.at(-1)!}`;
}

/** One paragraph on where a request ended up, for the approval message, the origin channel and the requester. */
export function outcomeText(request: AccessRequest, grant?: TemporaryGrant): Mrkdwn {
  const decision = decider(request);
  // Who decided: the denier, or every approver (a request may have needed several), then when the last did.
  const deciders = decision?.decision === 'deny' ? [decision] : approvalsOf(request);
  const by = decision ? mrkdwn`${listOf(deciders.map((d) => mention(d.by)))} ${slackDate(decision.at)}` : mrkdwn``;
  // Break-glass has no approver: it went ahead on its user's word, and is reviewed afterwards.
  const approved = request.emergency
    ? mrkdwn`Break-glass by ${mention(request.requesterId)}, without approval`
    : mrkdwn`Approved by ${by}`;
  switch (request.state) {
    case 'pending':
      return mrkdwn`⏳ ${approvalProgress(request) ?? 'Waiting for an approver.'} Expires ${slackDate(request.expiresAt)}.`;
    case 'approved':
    case 'executing':
      return mrkdwn`⏳ ${approved}; applying the change in Meta…`;
    case 'succeeded': {
      if (grant) return mrkdwn`✅ ${approved}.\n${grantText(grant, request)}`;
      if (request.kind === 'extend')
        return mrkdwn`✅ ${approved}. Extended by ${formatDuration(request.durationMs ?? 0)}.`;
      const result =
        request.kind === 'grant'
          ? mrkdwn`${targetLabel(request)} now has ${taskList(request.resultTasks)}.`
          : mrkdwn`${targetLabel(request)} no longer has access.${noAccessNote(request)}`;
      return mrkdwn`✅ ${approved}. Done: ${result}`;
    }
    case 'failed':
      return mrkdwn`⚠️ ${approved}, but Meta refused the change.\n${failureText(request.error)}${retryWindowText(request)}`;
    case 'denied':
      return mrkdwn`🚫 Denied by ${by}.${decision?.reason ? mrkdwn`\n*Reason:* ${decision.reason}` : mrkdwn``}`;
    case 'expired':
      if (request.failure) {
        const said = request.failure.error.reason ? mrkdwn`` : mrkdwn`\n${metaSaid(request.failure.error)}`;
        return mrkdwn`⌛ ${approved}, but Meta refused the change, and it was not retried in time (by ${slackDate(request.failure.retryUntil)}), so the request expired. Ask for it again to have it decided under today’s rules.${said}`;
      }
      return mrkdwn`⌛ Expired ${slackDate(request.finishedAt)} without a decision.`;
    case 'canceled':
      return mrkdwn`✖️ Canceled by ${mention(request.canceledBy)} ${slackDate(request.finishedAt)}.`;
  }
}

/** Where a temporary grant stands. */
export function grantText(grant: TemporaryGrant, request: AccessRequest): Mrkdwn {
  const who = targetLabel(request);
  const tasks = taskList(grant.tasks);
  const ended = grant.endedAt ? slackDate(grant.endedAt) : mrkdwn``;
  const by = endedByText(grant);
  switch (grant.state) {
    case 'active': {
      const held = request.state === 'succeeded' ? mrkdwn` (now ${taskList(request.resultTasks)})` : mrkdwn``;
      return mrkdwn`⏱️ ${who} has ${tasks}${held} until ${slackDate(grant.endsAt)}.`;
    }
    case 'conflict':
      return mrkdwn`⚠️ ${who}’s temporary ${tasks} was due to end ${slackDate(grant.endsAt)}, but their access changed meanwhile. Waiting for an approver to restore or keep it.`;
    case 'ended':
      switch (grant.outcome) {
        case 'removed':
          if (request.review)
            return mrkdwn`⌛ Temporary ${tasks} ended ${ended}${by}: ${who} was removed, as access review ${code(request.review.reviewId)} decided.`;
          return mrkdwn`⌛ Temporary ${tasks} ended ${ended}${by}: ${who} had no access before, so they were removed.`;
        case 'revoked':
          return mrkdwn`⌛ Temporary ${tasks} ended ${ended}: ${who} was removed from the account.`;
        case 'kept':
          return mrkdwn`⌛ Temporary ${tasks} ended ${ended}; ${mention(grant.endedBy ?? 'system')} kept the access as it was: ${taskList(grant.finalTasks ?? null)}.`;
        case 'lost':
          return mrkdwn`⌛ Temporary ${tasks} was ended outside the bot; ${mention(grant.endedBy ?? 'system')} accepted that ${ended}: ${who} holds ${taskList(grant.finalTasks ?? null)}.`;
        case 'overridden':
          return mrkdwn`⌛ Temporary ${tasks} ended ${ended}; ${mention(grant.endedBy ?? 'system')} restored ${who} to ${taskList(grant.finalTasks ?? null)}.`;
        default:
          return mrkdwn`⌛ Temporary ${tasks} ended ${ended}${by}: ${who} is back to ${taskList(grant.finalTasks ?? null)}.`;
      }
  }
}

/** Who ended a grant early, and why when it was not an approver's Revoke now; empty when it ended on time. */
function endedByText(grant: TemporaryGrant): Mrkdwn {
  if (!grant.endedBy || grant.endedBy === 'system') return mrkdwn``;
  switch (grant.earlyEnd) {
    case 'done':
      return mrkdwn` by ${mention(grant.endedBy)}, who was done with it`;
    case 'review':
      return mrkdwn` by ${mention(grant.endedBy)} on reviewing the break-glass use`;
    default:
      return mrkdwn` by ${mention(grant.endedBy)}`;
  }
}

/** Said when a revoke found nobody to remove (earlier versions stored this as a note of their own). */
function noAccessNote(request: Extract<AccessRequest, { state: 'succeeded' }>): Mrkdwn {
  if (request.hadNoAccess) return mrkdwn` The user had no access any more, so nothing was sent to Meta.`;
  return request.note ? mrkdwn` ${request.note}` : mrkdwn``;
}

/** Why the bot itself stopped a change (not Meta), in words. */
function ownFailureText(error: ExecutionError & { reason: NonNullable<ExecutionError['reason']> }): Mrkdwn {
  switch (error.reason) {
    case 'grant-not-live':
      return mrkdwn`The access this extension was for has already ended; ask for a new grant instead.`;
    case 'account-unconfigured':
      return mrkdwn`This WhatsApp Business Account is no longer in the bot’s policy, so nothing can be changed on it. An admin can add it back to the policy file and reload.`;
    case 'extension-too-long':
      return mrkdwn`Extended now, the access would run longer than the ${formatDuration(error.maxMs ?? 0)} allowed from now, so it was not extended. Ask for a shorter extension.`;
    case 'bad-input':
      return mrkdwn`The change could not be sent to Meta as asked (${error.message}). Ask for it again with \`/waba grant …\`.`;
    case 'unexpected':
      return mrkdwn`An unexpected error stopped the change; the logs have the details. To try once more, press Retry.`;
  }
}

/** Until when a failed request may be retried; empty for one that failed before failures carried their deadline. */
function retryWindowText(request: Extract<AccessRequest, { state: 'failed' }>): Mrkdwn {
  return request.retryUntil
    ? mrkdwn`\nRetry is possible until ${slackDate(request.retryUntil)}; after that the request expires.`
    : mrkdwn``;
}

/** Meta's message, with its code and trace id for support. */
function metaSaid(error: ExecutionError): Mrkdwn {
  const details = [
    error.code === undefined
      ? undefined
      : mrkdwn`code ${error.code}${error.subcode === undefined ? '' : `/${error.subcode}`}`,
    error.fbtraceId ? mrkdwn`fbtrace_id ${code(error.fbtraceId)}` : undefined,
  ].filter((detail) => detail !== undefined);
  return mrkdwn`*Meta said:* ${error.userMessage ?? error.message}${details.length ? mrkdwn` (${join(details, ', ')})` : ''}`;
}

/** Meta's message, its trace id for support, and what to do about it. */
export function failureText(error: ExecutionError, retry: 'button' | 'command' = 'button'): Mrkdwn {
  if (error.reason) return ownFailureText({ ...error, reason: error.reason });
  const again = retry === 'button' ? 'press Retry' : 'run the command again';
  const lines = [metaSaid(error)];
  switch (error.category) {
    case 'auth':
      lines.push(
        mrkdwn`*This is a configuration problem:* Meta rejected the bot’s access token. An admin must renew \`META_ACCESS_TOKEN\` and restart the bot; then ${again}.`,
      );
      break;
    case 'permission':
      lines.push(
        mrkdwn`The bot’s system user lacks permission on this account: an admin must give it full control of the WABA.`,
      );
      break;
    case 'throttled':
      lines.push(
        error.retryAt
          ? mrkdwn`Meta’s rate limit is reached; ${again} after ${slackDate(error.retryAt)}.`
          : mrkdwn`Meta’s rate limit is reached; ${again} in a few minutes.`,
      );
      break;
    case 'not_found':
      lines.push(mrkdwn`Check the user id, and that the user belongs to the business that owns the account.`);
      break;
    default:
      lines.push(mrkdwn`To try once more, ${again}; if it keeps failing, give Meta support the fbtrace_id.`);
  }
  return join(lines, '\n');
}

/** What the requester, and the channel the request came from, are told when it ends. */
export function resultMessage(request: AccessRequest, grant?: TemporaryGrant): MessageBody {
  const text = mrkdwn`Access request ${code(request.id)} (${summary(request)}) from ${mention(request.requesterId)}:\n${outcomeText(request, grant)}`;
  const again = endedEmpty(request) ? requestAgainButton(request) : undefined;
  return message(withoutBold(text), [section(text), ...(again ? [again] : [])]);
}

/** What the requester hears when a temporary grant changes: extended, ended, or settled after a conflict. */
export function grantNotice(grant: TemporaryGrant, request: AccessRequest): MessageBody {
  const text = grantText(grant, request);
  const again = grant.state === 'ended' ? requestAgainButton(request) : undefined;
  return message(withoutBold(text), [section(mrkdwn`Request ${code(request.id)}: ${text}`), ...(again ? [again] : [])]);
}

/** Approvers are asked what to do when a grant's end finds the user's access changed by someone else. */
export function conflictMessage(grant: TemporaryGrant, request: AccessRequest): MessageBody {
  const conflict = grant.conflict;
  const lines = [
    mrkdwn`${targetLabel(request)}’s temporary ${taskList(grant.tasks)} (request ${code(grant.requestId)}) was due to end ${slackDate(grant.endsAt)}, but their access changed outside this bot meanwhile, so nothing was touched.`,
    mrkdwn`*Expected:* ${taskList(conflict?.expected ?? null)}`,
    mrkdwn`*Found:* ${taskList(conflict?.found ?? null)}`,
    mrkdwn`*Restore* sets ${taskList(conflict?.target ?? null)} (what ending the grant should leave). *Keep* leaves the access as found.`,
  ];
  const blocks: Block[] = [header('Temporary access: conflict'), section(join(lines, '\n'))];
  if (grant.state === 'conflict') {
    blocks.push(
      actions(blockId('conflict', grant.id), [
        button(ACTION.restore, 'Restore', grant.id, { style: 'primary' }),
        button(ACTION.keep, 'Keep', grant.id),
      ]),
    );
  } else {
    blocks.push(section(grantText(grant, request)));
  }
  return message(mrkdwn`Temporary access for ${request.targetUserId}: conflict`, blocks);
}
