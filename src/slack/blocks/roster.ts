import type { AccountPolicy } from '../../access/accounts.js';
import type { RosterFilter, RosterPage, RosterSource } from '../../access/roster-view.js';
import type { AssignedUser } from '../../graph/schemas.js';
import { code, type Mrkdwn, mention, mrkdwn, packLines, plural, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { encodeListState, type ListState } from '../list-state.js';
import { actions, blockId, button, context, header, message, section } from './kit.js';
import type { MessageBody } from './types.js';

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
            mrkdwn`⏸ Meta asked the bot to slow down on this account, so this is the list as last read; a fresh read can go out ${slackDate(new Date(view.source.until))}.`,
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
