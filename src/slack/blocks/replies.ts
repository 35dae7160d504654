import type { UnknownAccount } from '../../access/accounts.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { RefusalReason } from '../../access/policy.js';
import type { AccessRequest } from '../../access/request.js';
import type { SubmitResult } from '../../access/service.js';
import { TASKS } from '../../access/tasks.js';
import { USAGE } from '../commands.js';
import {
  channel,
  code,
  join,
  link,
  type Mrkdwn,
  mention,
  mrkdwn,
  packLines,
  plural,
  slackDate,
  taskList,
} from '../format.js';
import { LIMITS } from '../limits.js';
import { doneElement } from './grant-notices.js';
import { context, header, message, section } from './kit.js';
import { refusalWords } from './outcomes.js';
import { approvalProgress, outcomeText, summary } from './request.js';
import type { MessageBody } from './types.js';

export function helpMessage(): MessageBody {
  return message(mrkdwn`How to use /waba`, [
    header('WhatsApp Business access'),
    section(
      join(
        [
          mrkdwn`*Ask for access* (an approver decides):`,
          mrkdwn`• ${code(USAGE.grant)}`,
          mrkdwn`   e.g. \`/waba grant 1234567890 MESSAGING because covers support this week\``,
          mrkdwn`   e.g. \`/waba grant 1234567890 messaging,view_templates for 4h\``,
          mrkdwn`   \`for 30m\`, \`4h\`, \`2d\`: the access ends on its own and the user goes back to what they had before.`,
          mrkdwn`• ${code(USAGE.revoke)} — removes the user and *all* their tasks`,
          mrkdwn`• ${code(USAGE.emergency)} — break-glass, for the people allowed it: carried out at once, announced to the approvers and reviewed afterwards`,
          mrkdwn``,
          mrkdwn`*Look things up* (no approval needed):`,
          mrkdwn`• ${code(USAGE.list)} — who is on the account and their tasks, a page at a time; narrow it to a task, a person or part of a name`,
          mrkdwn`• ${code(USAGE.accounts)} — the accounts configured here and how much of Meta’s budget each has used (also ${code(USAGE.status)}), or those a user can reach`,
          mrkdwn`• ${code(USAGE.active)} — temporary grants still running, and when they end; *I’m done* gives yours back`,
          mrkdwn`• ${code(USAGE.requests)} — your open requests (to cancel) and those waiting for your decision`,
          mrkdwn`• ${code(USAGE.history)} — what a person held and when it changed, with who changed it`,
          mrkdwn`• ${code(USAGE.who)} — who had access on a day, e.g. \`/waba who 2026-11-01\``,
          mrkdwn`• ${code(USAGE.link)} / ${code(USAGE.unlink)} — admins: who a Slack person is at Meta`,
          mrkdwn`• ${code(USAGE.audit)} — admins: the audit trail as a CSV file in your DM`,
          mrkdwn``,
          mrkdwn`*Review who has access* (approvers and admins):`,
          mrkdwn`• ${code(USAGE.review)} — everyone on the account, for the approvers to Keep, Remove or Make temporary, row by row`,
          mrkdwn``,
          mrkdwn`${code('on <account>')} picks an account (see \`/waba accounts\`); without it, the default one. \`/waba\` alone opens a form.`,
        ],
        '\n',
      ),
    ),
    context(mrkdwn`Tasks: ${TASKS.join(', ')}. The user id is the person’s Meta business-user id (digits).`),
  ]);
}

/** Something was wrong: what, and what to type instead. */
export function problemMessage(problem: Mrkdwn, hint: Mrkdwn): MessageBody {
  return message(mrkdwn`${problem} ${hint}`, [section(mrkdwn`❌ ${problem}\n${hint}`)]);
}

/** A problem and its hint as one message. */
export function saidMessage({ problem, hint }: { problem: Mrkdwn; hint: Mrkdwn }): MessageBody {
  return problemMessage(problem, hint);
}

export function submittedMessage(request: AccessRequest, approvalChannelId: string | undefined): MessageBody {
  const where = approvalChannelId ? mrkdwn`in ${channel(approvalChannelId)}` : mrkdwn`to the approvers by DM`;
  return message(mrkdwn`Request ${request.id} sent for approval.`, [
    section(mrkdwn`📨 Asked for ${summary(request)}. I sent it ${where}; I’ll tell you here when someone decides.`),
    context(mrkdwn`Request ${code(request.id)} · expires ${slackDate(request.expiresAt)}`),
  ]);
}

/** A person sent too many commands that cost Graph calls; nothing was done. */
export function commandLimitMessage(limit: number, retryInMs: number): MessageBody {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  return problemMessage(
    mrkdwn`You’ve sent ${plural(limit, 'command')} in the last minute; try again in ${seconds} s. Nothing was done.`,
    mrkdwn`Each command that reads or changes access spends from Meta’s budget for the account. ${code(USAGE.help)}, \`/waba accounts\` and ${code(USAGE.requests)} still work.`,
  );
}

/** The answer to a filed request: where it went, or why nothing was filed. */
export function submitReply(result: SubmitResult): MessageBody {
  return result.kind === 'submitted'
    ? submittedMessage(result.request, result.account.approvalChannelId)
    : saidMessage(refusalWords(result));
}

/** Grants of the person asking, shown each with I'm done; the rest share sections. */
const YOURS_SHOWN = 20;

/**
 * `/waba active`: the temporary grants still running; `aliases` (by WABA id) names each one's account. Those in
 * `yours` (the person asked for or holds them) come first, each with I'm done.
 */
export function activeGrantsMessage(
  grants: TemporaryGrant[],
  aliases?: ReadonlyMap<string, string>,
  yours: ReadonlySet<string> = new Set(),
): MessageBody {
  if (grants.length === 0) {
    const none = mrkdwn`No temporary grants are running.`;
    return message(none, [section(none)]);
  }
  const line = (grant: TemporaryGrant) => {
    const who = grant.targetName ? mrkdwn`*${grant.targetName}* ${code(grant.userId)}` : code(grant.userId);
    const when =
      grant.state === 'conflict'
        ? mrkdwn`⚠️ waiting for an approver (conflict)`
        : mrkdwn`ends ${slackDate(grant.endsAt)}`;
    const where = aliases ? mrkdwn` on *${aliases.get(grant.wabaId) ?? grant.wabaId}*` : '';
    return mrkdwn`• ${who} · ${taskList(grant.tasks)}${where} · ${when} · asked by ${mention(grant.requesterId)} · ${code(grant.requestId)}`;
  };
  const mine = grants.filter((grant) => yours.has(grant.id) && grant.state === 'active').slice(0, YOURS_SHOWN);
  const others = grants.filter((grant) => !mine.includes(grant));
  const chunks = packLines(others.map(line)).slice(0, LIMITS.messageBlocks - 2 - mine.length);
  return message(mrkdwn`${plural(grants.length, 'temporary grant')} running.`, [
    section(mrkdwn`*Temporary grants running* (${grants.length})`),
    ...mine.map((grant) => section(line(grant), doneElement(grant.id))),
    ...chunks.map((chunk) => section(chunk)),
  ]);
}

/** Why a click changed nothing. */
export function alreadyDecidedText(request: AccessRequest): Mrkdwn {
  return mrkdwn`This request is no longer waiting for a decision.\n${outcomeText(request)}`;
}

/** Why a person may not act on a request or grant, said privately; nothing changed. */
export function forbiddenText(reason: RefusalReason, approverIds: readonly string[]): Mrkdwn {
  switch (reason) {
    case 'own-request':
      return mrkdwn`You made this request, so someone else has to decide it — even approvers cannot approve their own requests.`;
    case 'beneficiary':
      return mrkdwn`This access is for you (your Slack account or the Meta user linked to it), so another approver has to decide it; nothing changed.`;
    case 'same-person':
      return mrkdwn`An approval from you (the same Meta user, under another Slack account) is already counted; one person counts once. Another approver has to approve it; nothing changed.`;
    case 'not-approver':
      return mrkdwn`Only approvers can decide access requests; nothing changed. The approvers are ${join(approverIds.map(mention), ', ')}.`;
  }
}

/** A click on a request whose account has left the policy. */
export function unconfiguredText(request: AccessRequest): Mrkdwn {
  return mrkdwn`This request is for WhatsApp Business Account ${code(request.wabaId)}, which is no longer in the bot’s policy, so nobody can decide it; nothing changed. It expires on its own; an admin can add the account back to the policy file and reload.`;
}

export const GRANT_NOT_LIVE_TEXT = mrkdwn`This access has already ended (or its conflict was settled); nothing changed.`;

export const BUSY_TEXT = mrkdwn`Another approver is deciding this request right now. The message will update in a moment.`;
export const NOT_FOUND_TEXT = mrkdwn`I can’t find this request any more, so nothing changed. Ask the requester to send it again with \`/waba grant …\`.`;

/** The one reminder an approver gets for a request that has waited long; `permalink` opens the approval message. */
export function reminderMessage(request: AccessRequest, permalink: string | undefined): MessageBody {
  const progress = approvalProgress(request);
  const where = permalink ? link(permalink, 'Open the request') : mrkdwn`It is in your direct messages with me.`;
  return message(mrkdwn`Reminder: request ${request.id} is waiting for a decision.`, [
    section(
      mrkdwn`⏰ *Still waiting for a decision:* ${summary(request)}, asked by ${mention(request.requesterId)} ${slackDate(request.createdAt)}.${progress ? mrkdwn` ${progress}` : ''}`,
    ),
    context(mrkdwn`${where} · Request ${code(request.id)} · expires ${slackDate(request.expiresAt)}`),
  ]);
}

/** `on <alias>` named no account. */
export function unknownAccountMessage(unknown: UnknownAccount): MessageBody {
  return saidMessage(refusalWords(unknown));
}
