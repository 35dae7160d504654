import { type Account, isUnknownAccount, resolveAccount } from '../../access/accounts.js';
import {
  type PageCursor,
  type RosterFilter,
  rosterCostsCalls,
  rosterFor,
  rosterPage,
} from '../../access/roster-view.js';
import { commandLimitMessage, problemMessage, unknownAccountMessage } from '../blocks/replies.js';
import { rosterPageMessage } from '../blocks/roster.js';
import type { MessageBody } from '../blocks/types.js';
import type { ListFilter } from '../commands.js';
import { mrkdwn } from '../format.js';
import { decodeListState, type ListState } from '../list-state.js';
import type { ListenerDeps } from './deps.js';
import { type Problem, resolveUser } from './people.js';
import type { ButtonArgs } from './replies.js';
import { failureReply, tellUser } from './replies.js';

/** A list filter as the domain takes it: a person named in Slack becomes their Meta user. */
export async function rosterFilter(
  deps: ListenerDeps,
  filter: ListFilter | undefined,
): Promise<{ filter?: RosterFilter; person?: string } | Problem> {
  if (!filter) return {};
  if (filter.kind !== 'person') return { filter };
  const user = await resolveUser(deps, filter.person);
  if ('problem' in user) return user;
  return { filter: { kind: 'user', userId: user.metaUserId }, ...(user.slackId ? { person: user.slackId } : {}) };
}

/**
 * One page of an account's roster. `anyAge` pages through the last read (Show more), `fresh` reads afresh (Refresh);
 * neither: the cached read, or a new one when it is too old.
 */
export async function rosterReply(
  account: Account,
  request: { filter?: RosterFilter; person?: string; cursor?: PageCursor; fresh?: boolean; anyAge?: boolean },
): Promise<MessageBody> {
  const { roster, source } = await rosterFor(account.waba, { fresh: request.fresh, anyAge: request.anyAge });
  return rosterPageMessage(rosterPage(roster, request.filter, request.cursor), {
    account: account.policy,
    ...(request.filter ? { filter: request.filter } : {}),
    ...(request.person ? { person: request.person } : {}),
    source,
  });
}

const STALE_BUTTON = problemMessage(
  mrkdwn`This button belongs to a list I can no longer read; nothing changed.`,
  mrkdwn`Type \`/waba list\` again for a new one.`,
);

/** Sends a list page or a problem: through the click's response URL when it has one, else privately. */
async function deliver(args: ButtonArgs, body: MessageBody, replace: boolean): Promise<void> {
  if (args.body.response_url && typeof args.respond === 'function') {
    await args.respond({ response_type: 'ephemeral', replace_original: replace, ...body });
    return;
  }
  const userId = args.body.user?.id;
  if (userId) await tellUser(args.client, userId, args.body.channel?.id, body);
}

/** Show more and Refresh on a list: the page replaces the list in place; problems come as a separate message. */
function listButton(
  deps: ListenerDeps,
  how: (state: ListState) => { cursor?: PageCursor; fresh?: boolean; anyAge?: boolean },
) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    try {
      const state = decodeListState(args.action?.value);
      if (!state) return await deliver(args, STALE_BUTTON, false);
      const account = resolveAccount(deps.accounts, state.alias);
      if (isUnknownAccount(account)) return await deliver(args, unknownAccountMessage(account), false);
      const options = how(state);
      if (rosterCostsCalls(account.waba, options)) {
        const verdict = deps.commandLimit?.take(args.body.user?.id ?? '');
        if (verdict && !verdict.ok)
          return await deliver(args, commandLimitMessage(verdict.limit, verdict.retryInMs), false);
      }
      let page: MessageBody;
      try {
        page = await rosterReply(account, {
          ...options,
          ...(state.filter ? { filter: state.filter } : {}),
          ...(state.person ? { person: state.person } : {}),
        });
      } catch (error) {
        args.logger.warn('list button failed', error);
        return await deliver(args, failureReply(error), false);
      }
      await deliver(args, page, true);
    } catch (error) {
      // The answer could not be sent (a response URL that expired, a channel the bot left): nothing else to do.
      args.logger.warn('list button answer not delivered', error);
    }
  };
}

/** The next page, from the read the list was made from (a new read only when this process has none). */
export function listMoreButton(deps: ListenerDeps) {
  return listButton(deps, (state) => ({ ...(state.cursor ? { cursor: state.cursor } : {}), anyAge: true }));
}

/** The first page again, read afresh from Meta (unless Meta has asked us to wait). */
export function listRefreshButton(deps: ListenerDeps) {
  return listButton(deps, () => ({ fresh: true }));
}
