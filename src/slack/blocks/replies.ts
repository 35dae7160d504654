import type { Account, AccountPolicy, UnknownAccount } from '../../access/accounts.js';
import type { LinkRefusal, LinkResult } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { RefusalReason } from '../../access/policy.js';
import type { AccessRequest } from '../../access/request.js';
import type { RosterFilter, RosterPage, RosterSource } from '../../access/roster-view.js';
import type { SubmitResult } from '../../access/service.js';
import { TASKS } from '../../access/tasks.js';
import type { AssignedAccount, AssignedUser } from '../../graph/schemas.js';
import type { BudgetState } from '../../graph/usage.js';
import { USAGE } from '../command-grammar.js';
import { channel, code, join, link, type Mrkdwn, mention, mrkdwn, packLines, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { LIMITS } from '../limits.js';
import { encodeListState, type ListState } from '../list-state.js';
import { doneElement } from './grant-notices.js';
import { actions, blockId, button, context, header, message, section } from './kit.js';
import { refusalWords } from './outcomes.js';
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

/** Who a list shows, as words after "users": holding a task, one person, or matching some text. */
function filterWords(filter: RosterFilter, person: string | undefined): Mrkdwn {
  switch (filter.kind) {
    case 'task':
      return mrkdwn`holding ${code(filter.task)}`;
    case 'user':
      return person
        ? mrkdwn`who are ${mention(person)} (${code(filter.userId)})`
        : mrkdwn`with id ${code(filter.userId)}`;
    case 'text':
      return mrkdwn`matching “${filter.text}”`;
  }
}

function rosterLine(user: AssignedUser): Mrkdwn {
  const name = user.name ? mrkdwn`*${user.name}*` : mrkdwn`_Unnamed_`;
  return mrkdwn`• ${name} ${code(user.id)}${user.user_type ? mrkdwn` · ${user.user_type}` : mrkdwn``} · ${taskList(user.tasks)}`;
}

function epochDate(ms: number): Mrkdwn {
  return slackDate(new Date(ms));
}

/** What a list page shows besides its rows. */
export interface RosterView {
  account: AccountPolicy;
  filter?: RosterFilter;
  /** The Slack person a user filter was named by. */
  person?: string;
  source: RosterSource;
}

/**
 * One page of `/waba list`: a few rows, how many there are, when they were read, and buttons for the next page (from
 * the same read) and for a fresh read. A page is small whatever the roster's size.
 */
export function rosterPageMessage(page: RosterPage, view: RosterView): MessageBody {
  const { alias, wabaId } = view.account;
  const state: ListState = {
    alias,
    ...(view.filter ? { filter: view.filter } : {}),
    ...(view.person ? { person: view.person } : {}),
  };
  const who = view.filter ? mrkdwn` ${filterWords(view.filter, view.person)}` : mrkdwn``;
  const read = mrkdwn`read from Meta ${slackDate(page.readAt)}`;
  const held =
    view.source.kind === 'held'
      ? [
          context(
            mrkdwn`⏸ Meta asked the bot to slow down on this account, so this is the list as last read; a fresh read can go out ${epochDate(view.source.until)}.`,
          ),
        ]
      : [];
  const buttons = actions(blockId('list', alias), [
    ...(page.next
      ? [button(ACTION.listMore, 'Show more', encodeListState({ ...state, cursor: page.next }), { style: 'primary' })]
      : []),
    button(ACTION.listRefresh, 'Refresh', encodeListState(state)),
  ]);
  const title = header(`Users on ${alias} (WABA ${wabaId})`);

  if (page.users.length === 0) {
    const none =
      page.matched > 0
        ? mrkdwn`No more users${who}; *Refresh* starts again from the top.`
        : view.filter
          ? mrkdwn`No one on *${alias}* is a user${who}. Try a task (\`/waba list MESSAGING\`), a person (\`/waba list @name\`) or part of a name or id.`
          : mrkdwn`No users are assigned to *${alias}*.`;
    return message(page.matched > 0 ? mrkdwn`No more users${who}.` : mrkdwn`No users${who} on ${alias}.`, [
      title,
      section(none),
      context(mrkdwn`${plural(page.total, 'user')} on the account, ${read}.`),
      ...held,
      buttons,
    ]);
  }

  const first = page.start + 1;
  const last = page.start + page.users.length;
  const range =
    first === 1 && last === page.matched
      ? mrkdwn`All ${plural(page.matched, 'user')}`
      : mrkdwn`${first}–${last} of ${plural(page.matched, 'user')}`;
  const ofAll = view.filter ? mrkdwn` (${page.total} on the account)` : mrkdwn``;
  const more = page.next
    ? mrkdwn` *Show more* for the next page; *Refresh* reads Meta again.`
    : mrkdwn` *Refresh* reads Meta again.`;
  return message(mrkdwn`${range}${who} on ${alias} (WABA ${wabaId})`, [
    title,
    ...packLines(page.users.map(rosterLine)).map((chunk) => section(chunk)),
    context(mrkdwn`${range}${who}${ofAll}, ${read}.${more}`),
    ...held,
    buttons,
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

/** An account's budget as Meta last reported it to this process, and whether calls are held. */
export function budgetLine(budget: BudgetState | undefined): Mrkdwn {
  if (!budget || budget.reports.length === 0)
    return budget?.heldUntil
      ? mrkdwn`Meta budget: ⏸ calls held until ${epochDate(budget.heldUntil)}`
      : mrkdwn`Meta budget: not reported yet (no calls about this account since the bot started)`;
  const shares = budget.reports.map((report) => {
    const what = report.key === 'app' ? 'the app as a whole' : (report.type ?? report.key);
    return mrkdwn`${Math.round(report.percent)} % for ${what} (${epochDate(report.reportedAt)})`;
  });
  const hold = budget.heldUntil ? mrkdwn` · ⏸ calls held until ${epochDate(budget.heldUntil)}` : mrkdwn``;
  return mrkdwn`Meta budget used: ${join(shares, ', ')}${hold}`;
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
export function unknownAccountMessage(unknown: UnknownAccount): MessageBody {
  return saidMessage(refusalWords(unknown));
}

/** `/waba accounts`: every configured account, with who decides, what may be asked for, and by whom. */
export function accountListMessage(
  accounts: readonly Account[],
  defaultAccount: Account,
  budgets?: ReadonlyMap<string, BudgetState>,
): MessageBody {
  const sections = accounts.map(({ policy }) => {
    const approvals = Object.entries(policy.approvals.byTask).map(([task, count]) => `${task}: ${count}`);
    const lines = [
      mrkdwn`*${policy.alias}*${policy === defaultAccount.policy ? ' (default)' : ''} · WABA ${code(policy.wabaId)} · business ${code(policy.businessId)}`,
      mrkdwn`Approvers: ${someOf(policy.approverIds.map(mention))} · ${plural(policy.approvals.default, 'approval')} needed${approvals.length ? ` (${approvals.join(', ')})` : ''}`,
      mrkdwn`Tasks: ${policy.tasks.length === TASKS.length ? 'any' : policy.tasks.join(', ')} · longest grant: ${policy.durations.allowPermanent ? 'permanent' : formatDuration(policy.durations.maxMs)}${policy.reasonRequired ? ' · a reason is required' : ''}`,
      mrkdwn`Who may ask: ${whoMayAsk(policy)} · approval messages: ${policy.approvalChannelId ? channel(policy.approvalChannelId) : 'approvers’ DMs'}`,
      ...(policy.breakGlass
        ? [
            mrkdwn`Break-glass: ${someOf(policy.breakGlass.people.map(mention))} · ${policy.breakGlass.tasks.length === policy.tasks.length ? 'any of its tasks' : policy.breakGlass.tasks.join(', ') || 'no tasks'} · up to ${formatDuration(policy.breakGlass.maxMs)}, reviewed afterwards`,
          ]
        : []),
      ...(budgets ? [budgetLine(budgets.get(policy.wabaId))] : []),
    ];
    return section(join(lines, '\n'));
  });
  const shown = sections.slice(0, LIMITS.messageBlocks - 2);
  const cut = shown.length < sections.length ? `Showing ${shown.length} of ${sections.length} accounts. ` : '';
  const alias = defaultAccount.policy.alias;
  const budgetNote = budgets
    ? 'Budgets are percentages of Meta’s hourly limits, as Meta last reported them to this bot. '
    : '';
  return message(mrkdwn`${plural(accounts.length, 'WhatsApp Business Account')} configured.`, [
    header('WhatsApp Business Accounts'),
    ...shown,
    context(
      mrkdwn`${cut}${budgetNote}Name one with ${code('on <account>')}, e.g. ${code(`/waba grant @alice MESSAGING on ${alias}`)}; without it, commands use *${alias}*. A user’s own accounts: ${code(USAGE.accounts)}.`,
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
