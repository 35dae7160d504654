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
import { clip, escapeText, mention, packLines, slackDate, taskList } from '../format.js';
import { LIMITS } from '../limits.js';
import { context, section } from './kit.js';
import { approvalProgress, outcomeText, summary } from './request.js';
import type { Block, MessageBody } from './types.js';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function helpMessage(): MessageBody {
  return {
    text: 'How to use /waba',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'WhatsApp Business access' } },
      section(
        [
          '*Ask for access* (an approver decides):',
          `• \`${USAGE.grant}\``,
          '   e.g. `/waba grant 1234567890 MESSAGING because covers support this week`',
          '   e.g. `/waba grant 1234567890 messaging,view_templates for 4h`',
          '   `for 30m`, `4h`, `2d`: the access ends on its own and the user goes back to what they had before.',
          `• \`${USAGE.revoke}\` — removes the user and *all* their tasks`,
          '',
          '*Look things up* (no approval needed):',
          `• \`${USAGE.list}\` — everyone on the account and their tasks`,
          `• \`${USAGE.accounts}\` — the accounts configured here, or those a user can reach`,
          `• \`${USAGE.active}\` — temporary grants still running, and when they end`,
          `• \`${USAGE.requests}\` — your open requests (to cancel) and those waiting for your decision`,
          `• \`${USAGE.link}\` / \`${USAGE.unlink}\` — admins: who a Slack person is at Meta`,
          '',
          '`on <account>` picks an account (see `/waba accounts`); without it, the default one. `/waba` alone opens a form.',
        ].join('\n'),
      ),
      context(`Tasks: ${TASKS.join(', ')}. The user id is the person’s Meta business-user id (digits).`),
    ],
  };
}

export function problemMessage(problem: string, hint: string): MessageBody {
  return { text: `${problem} ${hint}`, blocks: [section(`❌ ${problem}\n${hint}`)] };
}

export function submittedMessage(request: AccessRequest, approvalChannelId: string | undefined): MessageBody {
  const where = approvalChannelId ? `in <#${approvalChannelId}>` : 'to the approvers by DM';
  return {
    text: `Request ${request.id} sent for approval.`,
    blocks: [
      section(`📨 Asked for ${summary(request)}. I sent it ${where}; I’ll tell you here when someone decides.`),
      context(`Request \`${request.id}\` · expires ${slackDate(request.expiresAt)}`),
    ],
  };
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
      `• *${escapeText(user.name || 'Unnamed')}* \`${user.id}\` · ${user.user_type ?? 'user'} · ${taskList(user.tasks)}`,
  );
  const header: Block = { type: 'header', text: { type: 'plain_text', text: `Users on ${alias} (WABA ${wabaId})` } };
  if (users.length === 0)
    return {
      text: 'No users are assigned to this account.',
      blocks: [header, section('No users are assigned to this account.')],
    };

  // Header, one context line, and the rest for sections: the count always fits.
  const room = LIMITS.messageBlocks - 2;
  const chunks = packLines(lines);
  const shown = chunks.slice(0, room);
  const shownUsers = shown.reduce((count, chunk) => count + chunk.split('\n').length, 0);
  const total = roster.totalCount ?? users.length;
  const note =
    shownUsers < users.length
      ? `Showing ${shownUsers} of ${total} users (Slack caps a message at ${LIMITS.messageBlocks} blocks). Look someone up with \`${USAGE.accounts}\`.`
      : `${plural(total, 'user')}.`;
  return {
    text: `${plural(total, 'user')} on ${alias} (WABA ${wabaId})`,
    blocks: [header, ...shown.map((chunk) => section(chunk)), context(note)],
  };
}

export function accountsMessage(userId: string, accounts: AssignedAccount[]): MessageBody {
  if (accounts.length === 0) {
    return {
      text: `User ${userId} has no WhatsApp Business Accounts.`,
      blocks: [section(`User \`${userId}\` has no WhatsApp Business Accounts assigned.`)],
    };
  }
  const lines = accounts.map(
    (account) =>
      `• *${escapeText(account.name || 'Unnamed')}* \`${account.id}\`${account.status ? ` · ${account.status}` : ''} · ${taskList(account.permissions ?? null)}`,
  );
  const chunks = packLines(lines).slice(0, LIMITS.messageBlocks - 2);
  return {
    text: `User ${userId} has ${plural(accounts.length, 'WhatsApp Business Account')}.`,
    blocks: [
      section(`*WhatsApp Business Accounts of \`${userId}\`* (${accounts.length})`),
      ...chunks.map((chunk) => section(chunk)),
    ],
  };
}

/** The answer to a filed request: where it went, or why nothing was filed. */
export function submitReply(result: SubmitResult): MessageBody {
  return result.kind === 'submitted'
    ? submittedMessage(result.request, result.account.approvalChannelId)
    : problemMessage(result.problem, result.hint);
}

/** `/waba active`: the temporary grants still running; `aliases` (by WABA id) names each one's account. */
export function activeGrantsMessage(grants: TemporaryGrant[], aliases?: ReadonlyMap<string, string>): MessageBody {
  if (grants.length === 0) {
    return { text: 'No temporary grants are running.', blocks: [section('No temporary grants are running.')] };
  }
  const lines = grants.map((grant) => {
    const who = grant.targetName ? `*${escapeText(grant.targetName)}* \`${grant.userId}\`` : `\`${grant.userId}\``;
    const when =
      grant.state === 'conflict' ? '⚠️ waiting for an approver (conflict)' : `ends ${slackDate(grant.endsAt)}`;
    const where = aliases ? ` on *${aliases.get(grant.wabaId) ?? grant.wabaId}*` : '';
    return `• ${who} · ${taskList(grant.tasks)}${where} · ${when} · asked by ${mention(grant.requesterId)} · \`${grant.requestId}\``;
  });
  const chunks = packLines(lines).slice(0, LIMITS.messageBlocks - 2);
  return {
    text: `${plural(grants.length, 'temporary grant')} running.`,
    blocks: [section(`*Temporary grants running* (${grants.length})`), ...chunks.map((chunk) => section(chunk))],
  };
}

/** Why a click changed nothing. */
export function alreadyDecidedText(request: AccessRequest): string {
  return `This request is no longer waiting for a decision.\n${outcomeText(request)}`;
}

/** Why a person may not act on a request or grant, said privately; nothing changed. */
export function forbiddenText(reason: RefusalReason, approverIds: readonly string[]): string {
  switch (reason) {
    case 'own-request':
      return 'You made this request, so someone else has to decide it — even approvers cannot approve their own requests.';
    case 'beneficiary':
      return 'This access is for you (your Slack account or the Meta user linked to it), so another approver has to decide it; nothing changed.';
    case 'same-person':
      return 'An approval from you (the same Meta user, under another Slack account) is already counted; one person counts once. Another approver has to approve it; nothing changed.';
    case 'not-approver':
      return `Only approvers can decide access requests; nothing changed. The approvers are ${approverIds.map(mention).join(', ')}.`;
  }
}

/** A click on a request whose account has left the policy. */
export function unconfiguredText(request: AccessRequest): string {
  return `This request is for WhatsApp Business Account \`${request.wabaId}\`, which is no longer in the bot’s policy, so nobody can decide it; nothing changed. It expires on its own; an admin can add the account back to the policy file and reload.`;
}

export const GRANT_NOT_LIVE_TEXT = 'This access has already ended (or its conflict was settled); nothing changed.';

export const BUSY_TEXT = 'Another approver is deciding this request right now. The message will update in a moment.';
export const NOT_FOUND_TEXT =
  'I can’t find this request any more, so nothing changed. Ask the requester to send it again with `/waba grant …`.';

/** The one reminder an approver gets for a request that has waited long; `link` opens the approval message. */
export function reminderMessage(request: AccessRequest, link: string | undefined): MessageBody {
  const progress = approvalProgress(request);
  const where = link ? `<${link}|Open the request>` : 'It is in your direct messages with me.';
  return {
    text: `Reminder: request ${request.id} is waiting for a decision.`,
    blocks: [
      section(
        `⏰ *Still waiting for a decision:* ${summary(request)}, asked by ${mention(request.requesterId)} ${slackDate(request.createdAt)}.${progress ? ` ${progress}` : ''}`,
      ),
      context(`${where} · Request \`${request.id}\` · expires ${slackDate(request.expiresAt)}`),
    ],
  };
}

/** The answer to `/waba link` and `/waba unlink`. */
export function linkReply(result: LinkResult): MessageBody {
  switch (result.kind) {
    case 'linked': {
      const was = result.previous ? ` (was \`${result.previous.metaUserId}\`)` : '';
      const moved = result.displaced
        ? ` ${mention(result.displaced.slackId)} was linked to it before and no longer is.`
        : '';
      return {
        text: `Linked ${result.link.slackId} to Meta user ${result.link.metaUserId}.`,
        blocks: [
          section(
            `🔗 ${mention(result.link.slackId)} is now Meta business user \`${result.link.metaUserId}\`${was}.${moved} Requests can name them: \`/waba grant ${mention(result.link.slackId)} MESSAGING\`. The approvers have been told.`,
          ),
        ],
      };
    }
    case 'unlinked':
      return {
        text: `Unlinked ${result.link.slackId}.`,
        blocks: [
          section(
            `Unlinked ${mention(result.link.slackId)} from Meta user \`${result.link.metaUserId}\`. Requests for them now need their Meta id, or a new \`${USAGE.link}\`. The approvers have been told.`,
          ),
        ],
      };
    case 'not-linked':
      return problemMessage(`${mention(result.slackId)} is not linked to a Meta user; nothing changed.`, USAGE.link);
    case 'forbidden':
      return problemMessage(LINK_REFUSALS[result.reason], whoCanLink(result.admins));
    case 'unknown-meta-user':
      return problemMessage(
        `Meta does not know a user with id ${result.metaUserId}; nothing was linked.`,
        'Copy the id from Meta Business Settings → Users → People (or System users), then try again.',
      );
    case 'fixed': {
      const who = result.slackId ? mention(result.slackId) : escapeText(result.email ?? 'someone');
      return problemMessage(
        `The policy file says ${who} is Meta user \`${result.metaUserId}\`; nothing changed.`,
        'Only the file can change that: edit its `people:` entry and reload the bot (SIGHUP).',
      );
    }
  }
}

const LINK_REFUSALS: Record<LinkRefusal, string> = {
  'not-admin':
    'Only the bot’s admins (or an admin of every account) can link people to Meta users, since a link is used on every account; nothing changed.',
  self: 'Nobody links or unlinks themselves, admins included; nothing changed.',
  'own-meta-user': 'That Meta user is you: linking someone else to it would send their access to you; nothing changed.',
};

/** Who can make a link change instead. */
function whoCanLink(admins: readonly string[]): string {
  return admins.length > 0
    ? `Ask one of them: ${someOf(admins.map(mention))}.`
    : 'No one else can: the policy file’s `admins:` (or `ADMIN_IDS`) says who the admins are.';
}

/** `on <alias>` named no account. */
export function unknownAccountMessage(alias: string, accounts: AccountLookup): MessageBody {
  const { problem, hint } = unknownAccount(alias, accounts);
  return problemMessage(problem, hint);
}

/** `/waba accounts`: every configured account, with who decides, what may be asked for, and by whom. */
export function accountListMessage(accounts: readonly Account[], defaultAccount: Account): MessageBody {
  const sections = accounts.map(({ policy }) => {
    const approvals = Object.entries(policy.approvals.byTask).map(([task, count]) => `${task}: ${count}`);
    const lines = [
      `*${escapeText(policy.alias)}*${policy === defaultAccount.policy ? ' (default)' : ''} · WABA \`${policy.wabaId}\` · business \`${policy.businessId}\``,
      `Approvers: ${someOf(policy.approverIds.map(mention))} · ${plural(policy.approvals.default, 'approval')} needed${approvals.length ? ` (${approvals.join(', ')})` : ''}`,
      `Tasks: ${policy.tasks.length === TASKS.length ? 'any' : policy.tasks.join(', ')} · longest grant: ${policy.durations.allowPermanent ? 'permanent' : formatDuration(policy.durations.maxMs)}${policy.reasonRequired ? ' · a reason is required' : ''}`,
      `Who may ask: ${whoMayAsk(policy)} · approval messages: ${policy.approvalChannelId ? `<#${policy.approvalChannelId}>` : 'approvers’ DMs'}`,
    ];
    return section(clip(lines.join('\n'), LIMITS.sectionText));
  });
  const shown = sections.slice(0, LIMITS.messageBlocks - 2);
  const cut = shown.length < sections.length ? `Showing ${shown.length} of ${sections.length} accounts. ` : '';
  return {
    text: `${plural(accounts.length, 'WhatsApp Business Account')} configured.`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'WhatsApp Business Accounts' } },
      ...shown,
      context(
        `${cut}Name one with \`on <account>\`, e.g. \`/waba grant @alice MESSAGING on ${defaultAccount.policy.alias}\`; without it, commands use *${defaultAccount.policy.alias}*. A user’s own accounts: \`${USAGE.accounts}\`.`,
      ),
    ],
  };
}

/** The first few of a list, and how many more there are. */
function someOf(items: readonly string[], shown = 10): string {
  const more = items.length - shown;
  return `${items.slice(0, shown).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** Who may ask on an account: its listed channels and people, or anyone. */
function whoMayAsk({ requesters }: AccountPolicy): string {
  if (!requesters) return 'anyone';
  return someOf([...requesters.channelIds.map((id) => `<#${id}>`), ...requesters.people.map(mention)]);
}
