import type { PersonOrigin } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { AccessRequest, ExecutionError } from '../../access/request.js';
import { approvalsOf, approvalsRequired, decider } from '../../access/request.js';
import { clip, escapeText, mention, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { LIMITS } from '../limits.js';
import { button } from './kit.js';
import type { Block, MessageBody } from './types.js';

/** How the user is named in messages: Meta name when known, the id always. */
export function targetLabel(request: AccessRequest): string {
  const meta = request.targetName
    ? `*${escapeText(request.targetName)}* (\`${request.targetUserId}\`)`
    : `\`${request.targetUserId}\``;
  return request.targetSlackId ? `${mention(request.targetSlackId)} · ${meta}` : meta;
}

/**
 * Where the target's identity comes from, for approvers to weigh: who linked the Slack person to this Meta user and
 * when, or the policy file.
 */
export function originText(origin: PersonOrigin | undefined): string | undefined {
  switch (origin?.kind) {
    case undefined:
      return undefined;
    case 'listed':
      return '_Listed in the policy file_';
    case 'linked':
      return `_Linked by ${mention(origin.by)} ${slackDate(origin.at)}_`;
    case 'no-longer-linked':
      return `⚠️ _No longer linked to ${mention(origin.slackId)}: check who this Meta user is before approving_`;
  }
}

/** The User field: the person and Meta user, and where that pairing comes from. */
function userField(request: AccessRequest, origin: PersonOrigin | undefined): string {
  const from = originText(origin);
  return clip(`*User*\n${targetLabel(request)}${from ? `\n${from}` : ''}`, LIMITS.fieldText);
}

/** What a request asks for, in one phrase: tasks and length, an extension, or a removal. */
export function summary(request: AccessRequest): string {
  if (request.kind === 'extend')
    return `${formatDuration(request.durationMs ?? 0)} more of ${taskList(request.tasks)} for ${targetLabel(request)}`;
  return request.kind === 'grant'
    ? `${taskList(request.tasks)} for ${targetLabel(request)}${request.durationMs ? ` for ${formatDuration(request.durationMs)}` : ''}`
    : `removal of ${targetLabel(request)}`;
}

/** How long a grant lasts, in words. */
function lengthText(request: AccessRequest): string {
  if (request.kind === 'extend') {
    const oldEnd = request.grantEndsAt ?? request.createdAt;
    const newEnd = new Date(new Date(oldEnd).getTime() + (request.durationMs ?? 0)).toISOString();
    return `*Extends by ${formatDuration(request.durationMs ?? 0)}*\nEnds ${slackDate(oldEnd)} → ${slackDate(newEnd)}`;
  }
  if (!request.durationMs) return '*Duration*\nPermanent';
  const before = request.currentUnknown ? 'what the user holds when it is approved' : taskList(request.currentTasks);
  return `*Duration*\n${formatDuration(request.durationMs)} from approval, then back to ${before}`;
}

/** Current access as read when the request was made, or why Meta could not say. */
function currentText(request: AccessRequest): string {
  return request.currentUnknown
    ? `_unknown (Meta: ${escapeText(request.currentUnknown)}); read again before any change_`
    : taskList(request.currentTasks);
}

function changeText(request: AccessRequest): string {
  if (request.kind === 'extend') {
    return `*Keeps* ${taskList(request.tasks)} for longer; nothing else changes.`;
  }
  if (request.kind === 'revoke') {
    return `*Removes the user from the account, with all their tasks*\n${currentText(request)} → _no access_`;
  }
  const added = request.afterTasks.filter((task) => !request.currentTasks?.includes(task));
  const after = request.currentUnknown
    ? `what they hold plus ${taskList(request.tasks)}`
    : taskList(request.afterTasks);
  return `*Current → after*\n${currentText(request)} → ${after}\n_Adds ${taskList(added)}; keeps everything the user has now._`;
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
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n${mention(request.requesterId)}` },
        { type: 'mrkdwn', text: userField(request, origin) },
        {
          type: 'mrkdwn',
          text: `*WhatsApp Business Account*\n${request.accountAlias ? `*${escapeText(request.accountAlias)}* · ` : ''}\`${request.wabaId}\``,
        },
        { type: 'mrkdwn', text: `*Decide by*\n${slackDate(request.expiresAt)}` },
        ...(request.kind === 'revoke' ? [] : [{ type: 'mrkdwn' as const, text: lengthText(request) }]),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(changeText(request), LIMITS.sectionText) } },
  ];
  if (request.reason) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Reason*\n${escapeText(request.reason)}`, LIMITS.sectionText) },
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${request.id}\`` }] });

  if (request.state === 'pending') {
    const progress = approvalProgress(request);
    if (progress) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `🗳️ ${progress}` }] });
    blocks.push(decideButtons(request.id));
  } else {
    blocks.push({ type: 'divider' });
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(outcomeText(request, grant), LIMITS.sectionText) },
    });
    if (grant?.state === 'active') {
      blocks.push({
        type: 'actions',
        block_id: `grant:${grant.id}`,
        elements: [
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
        ],
      });
    }
    if (request.state === 'failed') {
      blocks.push({
        type: 'actions',
        block_id: `retry:${request.id}`,
        elements: [button(ACTION.retry, 'Retry', request.id)],
      });
    }
  }
  const text =
    request.state === 'pending'
      ? `${mention(request.requesterId)} asks for ${summary(request)}`
      : `Request ${request.id}: ${request.state}`;
  return { text, blocks };
}

/** One paragraph on where a request ended up, for the approval message, the origin channel and the requester. */
/** Approve and Deny for a pending request; the same row wherever the request is shown. */
export function decideButtons(requestId: string): Block {
  return {
    type: 'actions',
    block_id: `decide:${requestId}`,
    elements: [
      button(ACTION.approve, 'Approve', requestId, { style: 'primary' }),
      button(ACTION.deny, 'Deny', requestId, { style: 'danger' }),
    ],
  };
}

/** For a request that needs several approvals: how many it has, from whom, and how many more it needs. */
export function approvalProgress(request: AccessRequest): string | undefined {
  const required = approvalsRequired(request);
  if (required < 2) return undefined;
  const approvals = approvalsOf(request);
  if (approvals.length === 0) return `Needs ${required} approvals from different approvers; none yet.`;
  const missing = required - approvals.length;
  const more = missing > 0 ? ` Needs ${missing} more.` : '';
  return `${approvals.length} of ${required}: approved by ${listOf(approvals.map((a) => mention(a.by)))}.${more}`;
}

function listOf(items: string[]): string {
  return items.length < 3 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function outcomeText(request: AccessRequest, grant?: TemporaryGrant): string {
  const decision = decider(request);
  // Who decided: the denier, or every approver (a request may have needed several), then when the last did.
  const deciders = decision?.decision === 'deny' ? [decision] : approvalsOf(request);
  const by = decision ? `${listOf(deciders.map((d) => mention(d.by)))} ${slackDate(decision.at)}` : '';
  switch (request.state) {
    case 'pending':
      return `⏳ ${approvalProgress(request) ?? 'Waiting for an approver.'} Expires ${slackDate(request.expiresAt)}.`;
    case 'approved':
    case 'executing':
      return `⏳ Approved by ${by}; applying the change in Meta…`;
    case 'succeeded': {
      if (grant) return `✅ Approved by ${by}.\n${grantText(grant, request)}`;
      if (request.kind === 'extend')
        return `✅ Approved by ${by}. Extended by ${formatDuration(request.durationMs ?? 0)}.`;
      const result =
        request.kind === 'grant'
          ? `${targetLabel(request)} now has ${taskList(request.resultTasks)}.`
          : `${targetLabel(request)} no longer has access.${request.note ? ` ${escapeText(request.note)}` : ''}`;
      return `✅ Approved by ${by}. Done: ${result}`;
    }
    case 'failed':
      return `⚠️ Approved by ${by}, but Meta refused the change.\n${failureText(request.error)}`;
    case 'denied':
      return `🚫 Denied by ${by}.${decision?.reason ? `\n*Reason:* ${escapeText(decision.reason)}` : ''}`;
    case 'expired':
      return `⌛ Expired ${slackDate(request.finishedAt)} without a decision.`;
    case 'canceled':
      return `✖️ Canceled by ${mention(request.canceledBy)} ${slackDate(request.finishedAt)}.`;
  }
}

/** Where a temporary grant stands. */
export function grantText(grant: TemporaryGrant, request: AccessRequest): string {
  const who = targetLabel(request);
  const tasks = taskList(grant.tasks);
  const ended = grant.endedAt ? slackDate(grant.endedAt) : '';
  const by = grant.endedBy && grant.endedBy !== 'system' ? ` by ${mention(grant.endedBy)}` : '';
  switch (grant.state) {
    case 'active': {
      const held = request.state === 'succeeded' ? ` (now ${taskList(request.resultTasks)})` : '';
      return `⏱️ ${who} has ${tasks}${held} until ${slackDate(grant.endsAt)}.`;
    }
    case 'conflict':
      return `⚠️ ${who}’s temporary ${tasks} was due to end ${slackDate(grant.endsAt)}, but their access changed meanwhile. Waiting for an approver to restore or keep it.`;
    case 'ended':
      switch (grant.outcome) {
        case 'removed':
          return `⌛ Temporary ${tasks} ended ${ended}${by}: ${who} had no access before, so they were removed.`;
        case 'revoked':
          return `⌛ Temporary ${tasks} ended ${ended}: ${who} was removed from the account.`;
        case 'kept':
          return `⌛ Temporary ${tasks} ended ${ended}; ${mention(grant.endedBy ?? 'system')} kept the access as it was: ${taskList(grant.finalTasks ?? null)}.`;
        case 'overridden':
          return `⌛ Temporary ${tasks} ended ${ended}; ${mention(grant.endedBy ?? 'system')} restored ${who} to ${taskList(grant.finalTasks ?? null)}.`;
        default:
          return `⌛ Temporary ${tasks} ended ${ended}${by}: ${who} is back to ${taskList(grant.finalTasks ?? null)}.`;
      }
  }
}

/** Meta's message, its trace id for support, and what to do about it. */
export function failureText(error: ExecutionError, retry: 'button' | 'command' = 'button'): string {
  const again = retry === 'button' ? 'press Retry' : 'run the command again';
  const details = [
    error.code === undefined
      ? undefined
      : `code ${error.code}${error.subcode === undefined ? '' : `/${error.subcode}`}`,
    error.fbtraceId ? `fbtrace_id \`${escapeText(error.fbtraceId)}\`` : undefined,
  ].filter(Boolean);
  const lines = [
    `*Meta said:* ${escapeText(error.userMessage ?? error.message)}${details.length ? ` (${details.join(', ')})` : ''}`,
  ];
  switch (error.category) {
    case 'auth':
      lines.push(
        `*This is a configuration problem:* Meta rejected the bot’s access token. An admin must renew \`META_ACCESS_TOKEN\` and restart the bot; then ${again}.`,
      );
      break;
    case 'permission':
      lines.push(
        'The bot’s system user lacks permission on this account: an admin must give it full control of the WABA.',
      );
      break;
    case 'throttled':
      lines.push(
        error.retryAt
          ? `Meta’s rate limit is reached; ${again} after ${slackDate(error.retryAt)}.`
          : `Meta’s rate limit is reached; ${again} in a few minutes.`,
      );
      break;
    case 'not_found':
      lines.push('Check the user id, and that the user belongs to the business that owns the account.');
      break;
    default:
      lines.push(`To try once more, ${again}; if it keeps failing, give Meta support the fbtrace_id.`);
  }
  return lines.join('\n');
}

/** What the requester, and the channel the request came from, are told when it ends. */
export function resultMessage(request: AccessRequest, grant?: TemporaryGrant): MessageBody {
  const text = `Access request \`${request.id}\` (${summary(request)}) from ${mention(request.requesterId)}:\n${outcomeText(request, grant)}`;
  return {
    text: clip(text.replace(/\*/g, ''), 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } }],
  };
}

/** Approvers are asked what to do when a grant's end finds the user's access changed by someone else. */
export function conflictMessage(grant: TemporaryGrant, request: AccessRequest): MessageBody {
  const conflict = grant.conflict;
  const lines = [
    `${targetLabel(request)}’s temporary ${taskList(grant.tasks)} (request \`${grant.requestId}\`) was due to end ${slackDate(grant.endsAt)}, but their access changed outside this bot meanwhile, so nothing was touched.`,
    `*Expected:* ${taskList(conflict?.expected ?? null)}`,
    `*Found:* ${taskList(conflict?.found ?? null)}`,
    `*Restore* sets ${taskList(conflict?.target ?? null)} (what ending the grant should leave). *Keep* leaves the access as found.`,
  ];
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Temporary access: conflict' } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), LIMITS.sectionText) } },
  ];
  if (grant.state === 'conflict') {
    blocks.push({
      type: 'actions',
      block_id: `conflict:${grant.id}`,
      elements: [
        button(ACTION.restore, 'Restore', grant.id, { style: 'primary' }),
        button(ACTION.keep, 'Keep', grant.id),
      ],
    });
  } else {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(grantText(grant, request), LIMITS.sectionText) },
    });
  }
  return { text: `Temporary access for ${request.targetUserId}: conflict`, blocks };
}
