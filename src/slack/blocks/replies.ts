import { type Account, type AccountLookup, type AccountPolicy, unknownAccount } from '../../access/accounts.js';
import type { LinkRefusal, LinkResult } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import { USAGE } from '../../access/grammar.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { RefusalReason } from '../../access/policy.js';
import type { AccessRequest } from '../../access/request.js';
import type { SubmitResult } from '../../access/service.js';
import type { Roster } from '../../access/waba.js';
import type { AssignedAccount } from '../../graph/schemas.js';
import { TASKS } from '../../graph/tasks.js';
import {
  channel,
  code,
  fromDomain,
  join,
  link,
  type Mrkdwn,
  mention,
  mrkdwn,
  packLines,
  slackDate,
  taskList,
} from '../format.js';
import { LIMITS } from '../limits.js';
import { context, header, message, section } from './kit.js';
import { approvalProgress, outcomeText, summary } from './request.js';
import type { MessageBody } from './types.js';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

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
          mrkdwn``,
          mrkdwn`*Look things up* (no approval needed):`,
          mrkdwn`• ${code(USAGE.list)} — everyone on the account and their tasks`,
          mrkdwn`• ${code(USAGE.accounts)} — the accounts configured here, or those a user can reach`,
          mrkdwn`• ${code(USAGE.active)} — temporary grants still running, and when they end`,
          mrkdwn`• ${code(USAGE.requests)} — your open requests (to cancel) and those waiting for your decision`,
          mrkdwn`• ${code(USAGE.link)} / ${code(USAGE.unlink)} — admins: who a Slack person is at Meta`,
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

/** A problem the domain described (its text embeds what people typed). */
export function domainProblemMessage({ problem, hint }: { problem: string; hint: string }): MessageBody {
  return problemMessage(fromDomain(problem), fromDomain(hint));
}

export function submittedMessage(request: AccessRequest, approvalChannelId: string | undefined): MessageBody {
  const where = approvalChannelId ? mrkdwn`in ${channel(approvalChannelId)}` : mrkdwn`to the approvers by DM`;
  return message(mrkdwn`Request ${request.id} sent for approval.`, [
    section(mrkdwn`📨 Asked for ${summary(request)}. I sent it ${where}; I’ll tell you here when someone decides.`),
    context(mrkdwn`Request ${code(request.id)} · expires ${slackDate(request.expiresAt)}`),
  ]);
}

/**
 * Roster messages by the roster they show. Rosters are cached for a while and shared, so a burst of `/waba list`
 * builds one message (up to ~150 KB for a big WABA) instead of one per command.
 */
const rosterMessages = new WeakMap<Roster, { account: AccountPolicy; message: MessageBody }>();

/** The roster, packed to stay inside Slack's limits however long it is. */
export function rosterMessage(roster: Roster, account: AccountPolicy): MessageBody {
  const built = rosterMessages.get(roster);
  if (built?.account === account) return built.message;
  const message = buildRosterMessage(roster, account);
  rosterMessages.set(roster, { account, message });
  return message;
}

function buildRosterMessage(roster: Roster, { alias, wabaId }: AccountPolicy): MessageBody {
  const users = [...roster.users].sort((a, b) => a.name.localeCompare(b.name));
  const lines = users.map(
    (user) =>
      mrkdwn`• *${user.name || 'Unnamed'}* ${code(user.id)} · ${user.user_type ?? 'user'} · ${taskList(user.tasks)}`,
  );
  const title = header(`Users on ${alias} (WABA ${wabaId})`);
  if (users.length === 0)
    return message(mrkdwn`No users are assigned to this account.`, [
      title,
      section(mrkdwn`No users are assigned to this account.`),
    ]);

  // Header, one context line, and the rest for sections: the count always fits.
  const room = LIMITS.messageBlocks - 2;
  const chunks = packLines(lines);
  const shown = chunks.slice(0, room);
  const shownUsers = shown.reduce((count, chunk) => count + chunk.text.split('\n').length, 0);
  const total = roster.totalCount ?? users.length;
  const note =
    shownUsers < users.length
      ? mrkdwn`Showing ${shownUsers} of ${total} users (Slack caps a message at ${LIMITS.messageBlocks} blocks). Look someone up with ${code(USAGE.accounts)}.`
      : mrkdwn`${plural(total, 'user')}.`;
  return message(mrkdwn`${plural(total, 'user')} on ${alias} (WABA ${wabaId})`, [
    title,
    ...shown.map((chunk) => section(chunk)),
    context(note),
  ]);
}

export function accountsMessage(userId: string, accounts: AssignedAccount[]): MessageBody {
  if (accounts.length === 0) {
    return message(mrkdwn`User ${userId} has no WhatsApp Business Accounts.`, [
      section(mrkdwn`User ${code(userId)} has no WhatsApp Business Accounts assigned.`),
    ]);
  }
  const lines = accounts.map(
    (account) =>
      mrkdwn`• *${account.name || 'Unnamed'}* ${code(account.id)}${account.status ? mrkdwn` · ${account.status}` : ''} · ${taskList(account.permissions ?? null)}`,
  );
  const chunks = packLines(lines).slice(0, LIMITS.messageBlocks - 2);
  return message(mrkdwn`User ${userId} has ${plural(accounts.length, 'WhatsApp Business Account')}.`, [
    section(mrkdwn`*WhatsApp Business Accounts of ${code(userId)}* (${accounts.length})`),
    ...chunks.map((chunk) => section(chunk)),
  ]);
}

/** The answer to a filed request: where it went, or why nothing was filed. */
export function submitReply(result: SubmitResult): MessageBody {
  return result.kind === 'submitted'
    ? submittedMessage(result.request, result.account.approvalChannelId)
    : domainProblemMessage(result);
}

/** `/waba active`: the temporary grants still running; `aliases` (by WABA id) names each one's account. */
export function activeGrantsMessage(grants: TemporaryGrant[], aliases?: ReadonlyMap<string, string>): MessageBody {
  if (grants.length === 0) {
    const none = mrkdwn`No temporary grants are running.`;
    return message(none, [section(none)]);
  }
  const lines = grants.map((grant) => {
    const who = grant.targetName ? mrkdwn`*${grant.targetName}* ${code(grant.userId)}` : code(grant.userId);
    const when =
      grant.state === 'conflict'
        ? mrkdwn`⚠️ waiting for an approver (conflict)`
        : mrkdwn`ends ${slackDate(grant.endsAt)}`;
    const where = aliases ? mrkdwn` on *${aliases.get(grant.wabaId) ?? grant.wabaId}*` : '';
    return mrkdwn`• ${who} · ${taskList(grant.tasks)}${where} · ${when} · asked by ${mention(grant.requesterId)} · ${code(grant.requestId)}`;
  });
  const chunks = packLines(lines).slice(0, LIMITS.messageBlocks - 2);
  return message(mrkdwn`${plural(grants.length, 'temporary grant')} running.`, [
    section(mrkdwn`*Temporary grants running* (${grants.length})`),
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

/** The answer to `/waba link` and `/waba unlink`. */
export function linkReply(result: LinkResult): MessageBody {
  switch (result.kind) {
    case 'linked': {
      const was = result.previous ? mrkdwn` (was ${code(result.previous.metaUserId)})` : '';
      const moved = result.displaced
        ? mrkdwn` ${mention(result.displaced.slackId)} was linked to it before and no longer is.`
        : '';
      return message(mrkdwn`Linked ${result.link.slackId} to Meta user ${result.link.metaUserId}.`, [
        section(
          mrkdwn`🔗 ${mention(result.link.slackId)} is now Meta business user ${code(result.link.metaUserId)}${was}.${moved} Requests can name them: \`/waba grant ${mention(result.link.slackId)} MESSAGING\`. The approvers have been told.`,
        ),
      ]);
    }
    case 'unlinked':
      return message(mrkdwn`Unlinked ${result.link.slackId}.`, [
        section(
          mrkdwn`Unlinked ${mention(result.link.slackId)} from Meta user ${code(result.link.metaUserId)}. Requests for them now need their Meta id, or a new ${code(USAGE.link)}. The approvers have been told.`,
        ),
      ]);
    case 'not-linked':
      return problemMessage(
        mrkdwn`${mention(result.slackId)} is not linked to a Meta user; nothing changed.`,
        mrkdwn`${USAGE.link}`,
      );
    case 'forbidden':
      return problemMessage(LINK_REFUSALS[result.reason], whoCanLink(result.admins));
    case 'unknown-meta-user':
      return problemMessage(
        mrkdwn`Meta does not know a user with id ${result.metaUserId}; nothing was linked.`,
        mrkdwn`Copy the id from Meta Business Settings → Users → People (or System users), then try again.`,
      );
    case 'fixed': {
      const who = result.slackId ? mention(result.slackId) : mrkdwn`${result.email ?? 'someone'}`;
      return problemMessage(
        mrkdwn`The policy file says ${who} is Meta user ${code(result.metaUserId)}; nothing changed.`,
        mrkdwn`Only the file can change that: edit its \`people:\` entry and reload the bot (SIGHUP).`,
      );
    }
  }
}

const LINK_REFUSALS: Record<LinkRefusal, Mrkdwn> = {
  'not-admin': mrkdwn`Only the bot’s admins (or an admin of every account) can link people to Meta users, since a link is used on every account; nothing changed.`,
  self: mrkdwn`Nobody links or unlinks themselves, admins included; nothing changed.`,
  'own-meta-user': mrkdwn`That Meta user is you: linking someone else to it would send their access to you; nothing changed.`,
};

/** Who can make a link change instead. */
function whoCanLink(admins: readonly string[]): Mrkdwn {
  return admins.length > 0
    ? mrkdwn`Ask one of them: ${someOf(admins.map(mention))}.`
    : mrkdwn`No one else can: the policy file’s ${code('admins:')} (or ${code('ADMIN_IDS')}) says who the admins are.`;
}

/** `on <alias>` named no account. */
export function unknownAccountMessage(alias: string, accounts: AccountLookup): MessageBody {
  return domainProblemMessage(unknownAccount(alias, accounts));
}

/** `/waba accounts`: every configured account, with who decides, what may be asked for, and by whom. */
export function accountListMessage(accounts: readonly Account[], defaultAccount: Account): MessageBody {
  const sections = accounts.map(({ policy }) => {
    const approvals = Object.entries(policy.approvals.byTask).map(([task, count]) => `${task}: ${count}`);
    const lines = [
      mrkdwn`*${policy.alias}*${policy === defaultAccount.policy ? ' (default)' : ''} · WABA ${code(policy.wabaId)} · business ${code(policy.businessId)}`,
      mrkdwn`Approvers: ${someOf(policy.approverIds.map(mention))} · ${plural(policy.approvals.default, 'approval')} needed${approvals.length ? ` (${approvals.join(', ')})` : ''}`,
      mrkdwn`Tasks: ${policy.tasks.length === TASKS.length ? 'any' : policy.tasks.join(', ')} · longest grant: ${policy.durations.allowPermanent ? 'permanent' : formatDuration(policy.durations.maxMs)}${policy.reasonRequired ? ' · a reason is required' : ''}`,
      mrkdwn`Who may ask: ${whoMayAsk(policy)} · approval messages: ${policy.approvalChannelId ? channel(policy.approvalChannelId) : 'approvers’ DMs'}`,
    ];
    return section(join(lines, '\n'));
  });
  const shown = sections.slice(0, LIMITS.messageBlocks - 2);
  const cut = shown.length < sections.length ? `Showing ${shown.length} of ${sections.length} accounts. ` : '';
  const alias = defaultAccount.policy.alias;
  return message(mrkdwn`${plural(accounts.length, 'WhatsApp Business Account')} configured.`, [
    header('WhatsApp Business Accounts'),
    ...shown,
    context(
      mrkdwn`${cut}Name one with ${code('on <account>')}, e.g. ${code(`/waba grant @alice MESSAGING on ${alias}`)}; without it, commands use *${alias}*. A user’s own accounts: ${code(USAGE.accounts)}.`,
    ),
  ]);
}

/** The first few of a list, and how many more there are. */
function someOf(items: readonly Mrkdwn[], shown = 10): Mrkdwn {
  const more = items.length - shown;
  return mrkdwn`${join(items.slice(0, shown), ', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** Who may ask on an account: its listed channels and people, or anyone. */
function whoMayAsk({ requesters }: AccountPolicy): Mrkdwn {
  if (!requesters) return mrkdwn`anyone`;
  return someOf([...requesters.channelIds.map(channel), ...requesters.people.map(mention)]);
}
