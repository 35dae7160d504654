import { type Account, type AccountLookup, type AccountPolicy, unknownAccount } from '../../access/accounts.js';
import type { LinkResult } from '../../access/directory.js';
import { formatDuration } from '../../access/duration.js';
import { USAGE } from '../../access/grammar.js';
import type { TemporaryGrant } from '../../access/grants.js';
import type { AccessRequest } from '../../access/request.js';
import type { RosterFilter, RosterPage, RosterSource } from '../../access/roster-view.js';
import type { SubmitResult } from '../../access/service.js';
import type { AssignedAccount, AssignedUser } from '../../graph/schemas.js';
import { TASKS } from '../../graph/tasks.js';
import type { BudgetState } from '../../graph/usage.js';
import { clip, escapeText, mention, packLines, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { LIMITS } from '../limits.js';
import { encodeListState, type ListState } from '../list-state.js';
import { actions, button, context, header, section } from './kit.js';
import { approvalProgress, outcomeText, summary } from './request.js';
import type { MessageBody } from './types.js';

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
          `• \`${USAGE.list}\` — who is on the account and their tasks, a page at a time; narrow it to a task, a person or part of a name`,
          `• \`${USAGE.accounts}\` — the accounts configured here and how much of Meta’s budget each has used (also \`${USAGE.status}\`), or those a user can reach`,
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

/** Who a list shows, as words after "users": holding a task, one person, or matching some text. */
function filterWords(filter: RosterFilter, person: string | undefined): string {
  switch (filter.kind) {
    case 'task':
      return `holding \`${filter.task}\``;
    case 'user':
      return person ? `who are ${mention(person)} (\`${filter.userId}\`)` : `with id \`${filter.userId}\``;
    case 'text':
      return `matching “${escapeText(filter.text)}”`;
  }
}

function rosterLine(user: AssignedUser): string {
  const name = user.name ? `*${escapeText(user.name)}*` : '_Unnamed_';
  return clip(
    `• ${name} \`${escapeText(user.id)}\` · ${escapeText(user.user_type ?? 'user')} · ${taskList(user.tasks)}`,
    LIMITS.sectionText,
  );
}

function epochDate(ms: number): string {
  return slackDate(new Date(ms).toISOString());
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
  const who = view.filter ? ` ${filterWords(view.filter, view.person)}` : '';
  const read = `read from Meta ${slackDate(page.readAt)}`;
  const held =
    view.source.kind === 'held'
      ? [
          context(
            `⏸ Meta asked the bot to slow down on this account, so this is the list as last read; a fresh read can go out ${epochDate(view.source.until)}.`,
          ),
        ]
      : [];
  const buttons = actions([
    ...(page.next
      ? [button(ACTION.listMore, 'Show more', encodeListState({ ...state, cursor: page.next }), { style: 'primary' })]
      : []),
    button(ACTION.listRefresh, 'Refresh', encodeListState(state)),
  ]);
  const title = header(clip(`Users on ${alias} (WABA ${wabaId})`, LIMITS.headerText));

  if (page.users.length === 0) {
    const none =
      page.matched > 0
        ? `No more users${who}; *Refresh* starts again from the top.`
        : view.filter
          ? `No one on *${escapeText(alias)}* is a user${who}. Try a task (\`/waba list MESSAGING\`), a person (\`/waba list @name\`) or part of a name or id.`
          : `No users are assigned to *${escapeText(alias)}*.`;
    return {
      text: page.matched > 0 ? `No more users${who}.` : `No users${who} on ${alias}.`,
      blocks: [
        title,
        section(none),
        context(`${plural(page.total, 'user')} on the account, ${read}.`),
        ...held,
        buttons,
      ],
    };
  }

  const first = page.start + 1;
  const last = page.start + page.users.length;
  const range =
    first === 1 && last === page.matched
      ? `All ${plural(page.matched, 'user')}`
      : `${first}–${last} of ${plural(page.matched, 'user')}`;
  const ofAll = view.filter ? ` (${page.total} on the account)` : '';
  const more = page.next
    ? ' *Show more* for the next page; *Refresh* reads Meta again.'
    : ' *Refresh* reads Meta again.';
  return {
    text: `${range}${who} on ${alias} (WABA ${wabaId})`,
    blocks: [
      title,
      ...packLines(page.users.map(rosterLine)).map((chunk) => section(chunk)),
      context(`${range}${who}${ofAll}, ${read}.${more}`),
      ...held,
      buttons,
    ],
  };
}

/** A person sent too many commands that cost Graph calls; nothing was done. */
export function commandLimitMessage(limit: number, retryInMs: number): MessageBody {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  const problem = `You’ve sent ${plural(limit, 'command')} in the last minute; try again in ${seconds} s. Nothing was done.`;
  const hint = `Each command that reads or changes access spends from Meta’s budget for the account. \`${USAGE.help}\`, \`/waba accounts\` and \`${USAGE.requests}\` still work.`;
  return problemMessage(problem, hint);
}

/** An account's budget as Meta last reported it to this process, and whether calls are held. */
export function budgetLine(budget: BudgetState | undefined): string {
  if (!budget || budget.reports.length === 0)
    return budget?.heldUntil
      ? `Meta budget: ⏸ calls held until ${epochDate(budget.heldUntil)}`
      : 'Meta budget: not reported yet (no calls about this account since the bot started)';
  const shares = budget.reports.map((report) => {
    const what = report.key === 'app' ? 'the app as a whole' : escapeText(report.type ?? report.key);
    return `${Math.round(report.percent)} % for ${what} (${epochDate(report.reportedAt)})`;
  });
  const hold = budget.heldUntil ? ` · ⏸ calls held until ${epochDate(budget.heldUntil)}` : '';
  return `Meta budget used: ${shares.join(', ')}${hold}`;
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
      `• *${escapeText(account.name || 'Unnamed')}* \`${account.id}\`${account.status ? ` · ${account.status}` : ''} · ${taskList(account.permissions)}`,
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

export function forbiddenText(reason: 'own-request' | 'not-approver', approverIds: readonly string[]): string {
  if (reason === 'own-request') {
    return 'You made this request, so someone else has to decide it — even approvers cannot approve their own requests.';
  }
  return `Only approvers can decide access requests; nothing changed. The approvers are ${approverIds.map(mention).join(', ')}.`;
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
export function linkReply(result: LinkResult, adminIds: readonly string[]): MessageBody {
  switch (result.kind) {
    case 'linked': {
      const was = result.previous ? ` (was \`${result.previous.metaUserId}\`)` : '';
      return {
        text: `Linked ${result.link.slackId} to Meta user ${result.link.metaUserId}.`,
        blocks: [
          section(
            `🔗 ${mention(result.link.slackId)} is now Meta business user \`${result.link.metaUserId}\`${was}. Requests can name them: \`/waba grant ${mention(result.link.slackId)} MESSAGING\`.`,
          ),
        ],
      };
    }
    case 'unlinked':
      return {
        text: `Unlinked ${result.link.slackId}.`,
        blocks: [
          section(
            `Unlinked ${mention(result.link.slackId)} from Meta user \`${result.link.metaUserId}\`. Requests for them now need their Meta id, or a new \`${USAGE.link}\`.`,
          ),
        ],
      };
    case 'not-linked':
      return problemMessage(`${mention(result.slackId)} is not linked to a Meta user; nothing changed.`, USAGE.link);
    case 'forbidden':
      return problemMessage(
        'Only admins can link people to Meta users; nothing changed.',
        `The admins are ${adminIds.map(mention).join(', ')}.`,
      );
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

/** `on <alias>` named no account. */
export function unknownAccountMessage(alias: string, accounts: AccountLookup): MessageBody {
  const { problem, hint } = unknownAccount(alias, accounts);
  return problemMessage(problem, hint);
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
      `*${escapeText(policy.alias)}*${policy === defaultAccount.policy ? ' (default)' : ''} · WABA \`${policy.wabaId}\` · business \`${policy.businessId}\``,
      `Approvers: ${someOf(policy.approverIds.map(mention))} · ${plural(policy.approvals.default, 'approval')} needed${approvals.length ? ` (${approvals.join(', ')})` : ''}`,
      `Tasks: ${policy.tasks.length === TASKS.length ? 'any' : policy.tasks.join(', ')} · longest grant: ${policy.durations.allowPermanent ? 'permanent' : formatDuration(policy.durations.maxMs)}${policy.reasonRequired ? ' · a reason is required' : ''}`,
      `Who may ask: ${whoMayAsk(policy)} · approval messages: ${policy.approvalChannelId ? `<#${policy.approvalChannelId}>` : 'approvers’ DMs'}`,
      ...(budgets ? [budgetLine(budgets.get(policy.wabaId))] : []),
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
        `${cut}${budgets ? 'Budgets are percentages of Meta’s hourly limits, as Meta last reported them to this bot. ' : ''}Name one with \`on <account>\`, e.g. \`/waba grant @alice MESSAGING on ${defaultAccount.policy.alias}\`; without it, commands use *${defaultAccount.policy.alias}*. A user’s own accounts: \`${USAGE.accounts}\`.`,
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
