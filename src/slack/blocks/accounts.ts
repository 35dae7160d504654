import type { Account, AccountPolicy } from '../../access/accounts.js';
import { formatDuration } from '../../access/duration.js';
import { TASKS } from '../../access/tasks.js';
import type { AssignedAccount } from '../../graph/schemas.js';
import type { BudgetState } from '../../graph/usage.js';
import { USAGE } from '../commands.js';
import {
  channel,
  code,
  join,
  type Mrkdwn,
  mention,
  mrkdwn,
  packLines,
  plural,
  slackDate,
  someOf,
  taskList,
} from '../format.js';
import { LIMITS } from '../limits.js';
import { context, header, message, section } from './kit.js';
import type { MessageBody } from './types.js';

/** `/waba accounts`: the accounts configured here, with their rules and Meta budget, or the WABAs one user reaches. */

/** An account's budget as Meta last reported it to this process, and whether calls are held. */
export function budgetLine(budget: BudgetState | undefined): Mrkdwn {
  if (!budget || budget.reports.length === 0)
    return budget?.heldUntil
      ? mrkdwn`Meta budget: ⏸ calls held until ${slackDate(new Date(budget.heldUntil))}`
      : mrkdwn`Meta budget: not reported yet (no calls about this account since the bot started)`;
  const shares = budget.reports.map((report) => {
    const what = report.key === 'app' ? 'the app as a whole' : (report.type ?? report.key);
    return mrkdwn`${Math.round(report.percent)} % for ${what} (${slackDate(new Date(report.reportedAt))})`;
  });
  const hold = budget.heldUntil ? mrkdwn` · ⏸ calls held until ${slackDate(new Date(budget.heldUntil))}` : mrkdwn``;
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

/** Who may ask on an account: its listed channels and people, or anyone. */
function whoMayAsk({ requesters }: AccountPolicy): Mrkdwn {
  if (!requesters) return mrkdwn`anyone`;
  return someOf([...requesters.channelIds.map(channel), ...requesters.people.map(mention)]);
}
