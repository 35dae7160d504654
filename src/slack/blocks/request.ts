import type { AccessRequest, ExecutionError } from '../../access/request.js';
import { decider } from '../../access/request.js';
import { clip, escapeText, mention, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { LIMITS } from '../limits.js';
import type { Block, MessageBody } from './types.js';

/** How the user is named in messages: Meta name when known, the id always. */
export function targetLabel(request: AccessRequest): string {
  return request.targetName
    ? `*${escapeText(request.targetName)}* (\`${request.targetUserId}\`)`
    : `\`${request.targetUserId}\``;
}

function summary(request: AccessRequest): string {
  return request.kind === 'grant'
    ? `${taskList(request.tasks)} for ${targetLabel(request)}`
    : `removal of ${targetLabel(request)}`;
}

function changeText(request: AccessRequest): string {
  if (request.kind === 'revoke') {
    return `*Removes the user from the account, with all their tasks*\n${taskList(request.currentTasks)} → _no access_`;
  }
  const added = request.afterTasks.filter((task) => !request.currentTasks?.includes(task));
  return `*Current → after*\n${taskList(request.currentTasks)} → ${taskList(request.afterTasks)}\n_Adds ${taskList(added)}; keeps everything the user has now._`;
}

/** The approval message: what is asked, by whom, the change it makes, and — while pending — the buttons. */
export function approvalMessage(request: AccessRequest): MessageBody {
  const title = request.kind === 'grant' ? 'WABA access request' : 'WABA access removal request';
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n${mention(request.requesterId)}` },
        { type: 'mrkdwn', text: `*User*\n${targetLabel(request)}` },
        { type: 'mrkdwn', text: `*WhatsApp Business Account*\n\`${request.wabaId}\`` },
        { type: 'mrkdwn', text: `*Expires*\n${slackDate(request.expiresAt)}` },
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
    blocks.push({
      type: 'actions',
      block_id: `decide:${request.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: request.id,
        },
        {
          type: 'button',
          action_id: ACTION.deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: request.id,
        },
      ],
    });
  } else {
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(outcomeText(request), LIMITS.sectionText) } });
    if (request.state === 'failed') {
      blocks.push({
        type: 'actions',
        block_id: `retry:${request.id}`,
        elements: [
          { type: 'button', action_id: ACTION.retry, text: { type: 'plain_text', text: 'Retry' }, value: request.id },
        ],
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
export function outcomeText(request: AccessRequest): string {
  const decision = decider(request);
  const by = decision ? `${mention(decision.by)} ${slackDate(decision.at)}` : '';
  switch (request.state) {
    case 'pending':
      return `⏳ Waiting for an approver. Expires ${slackDate(request.expiresAt)}.`;
    case 'approved':
    case 'executing':
      return `⏳ Approved by ${by}; applying the change in Meta…`;
    case 'succeeded': {
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
export function resultMessage(request: AccessRequest): MessageBody {
  const text = `Access request \`${request.id}\` (${summary(request)}) from ${mention(request.requesterId)}:\n${outcomeText(request)}`;
  return {
    text: clip(text.replace(/\*/g, ''), 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } }],
  };
}
