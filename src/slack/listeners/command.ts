import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type Account, isUnknownAccount, resolveAccount } from '../../access/accounts.js';
import { addDays, dayOf } from '../../access/history.js';
import { Limiter } from '../../access/limiter.js';
import { rosterCostsCalls } from '../../access/roster-view.js';
import { accountListMessage, accountsMessage } from '../blocks/accounts.js';
import { breakGlassReply } from '../blocks/break-glass.js';
import { historyMessage, whoMessage } from '../blocks/drift.js';
import { requestsMessage } from '../blocks/home.js';
import { linkReply } from '../blocks/links.js';
import {
  activeGrantsMessage,
  commandLimitMessage,
  helpMessage,
  problemMessage,
  saidMessage,
  submitReply,
  unknownAccountMessage,
} from '../blocks/replies.js';
import type { MessageBody } from '../blocks/types.js';
import { parseCommand } from '../command-grammar.js';
import type { Command, DayRef } from '../commands.js';
import { auditCommand } from './audit.js';
import { composeForm } from './compose.js';
import type { ListenerDeps } from './deps.js';
import { resolvePerson, resolveUser } from './people.js';
import { failureReply } from './replies.js';
import { reviewCommandReply } from './review.js';
import { rosterFilter, rosterReply } from './roster.js';
import { yieldToWaitingRequests } from './yield.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

const MAX_CONCURRENT_REPLIES = 8;

/**
 * `/waba …`. Parsing is instant, so help and mistakes are answered in the ack itself; anything that needs Meta or
 * the store is acknowledged first and answered through the response URL.
 */
export function wabaCommand(deps: ListenerDeps) {
  // Replies that need Meta or the store, built and sent a few at a time: their acks are already out, and a burst
  // waiting on one slow roster read would otherwise build and send hundreds of large replies at once.
  const replies = new Limiter(MAX_CONCURRENT_REPLIES);
  return async ({ command, ack, respond, client, logger }: CommandArgs): Promise<void> => {
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help') return ack({ response_type: 'ephemeral', ...helpMessage() });
    if (parsed.kind === 'invalid') return ack({ response_type: 'ephemeral', ...saidMessage(parsed) });
    if (parsed.kind === 'account-list') {
      const accounts = deps.accounts.list();
      const budgets = new Map(accounts.map((known) => [known.policy.wabaId, known.waba.budget()]));
      return ack({ response_type: 'ephemeral', ...accountListMessage(accounts, deps.accounts.default, budgets) });
    }
    // `on <alias>` is checked in the ack: the accounts are in memory.
    const account = resolveAccount(deps.accounts, 'account' in parsed ? parsed.account : undefined);
    if (isUnknownAccount(account)) return ack({ response_type: 'ephemeral', ...unknownAccountMessage(account) });
    // Over the limit, nothing is spent: the answer goes in the ack.
    if (deps.commandLimit && costsCalls(parsed, account)) {
      const verdict = deps.commandLimit.take(command.user_id);
      if (!verdict.ok)
        return ack({ response_type: 'ephemeral', ...commandLimitMessage(verdict.limit, verdict.retryInMs) });
    }
    await ack();
    try {
      // The form opens straight after the ack: the command's trigger_id lives about 3 seconds, so it waits for
      // nothing (no store, no other requests' acks). Everything it shows is in memory.
      if (parsed.kind === 'compose') {
        await client.views.open({ trigger_id: command.trigger_id, view: composeForm(deps, command.channel_id) });
        return;
      }
      await yieldToWaitingRequests();
      await replies.run(async () =>
        respond({
          response_type: 'ephemeral',
          ...(await answer(deps, parsed, account, command.user_id, command.channel_id, client)),
        }),
      );
    } catch (error) {
      logger.warn('waba command failed', error);
      await respond({ response_type: 'ephemeral', ...failureReply(error) });
    }
  };
}

/** The answer to a command that needs Meta or the store; `account` is the one it names, or the default. */
async function answer(
  deps: ListenerDeps,
  parsed: Exclude<Command, { kind: 'help' | 'invalid' | 'compose' | 'account-list' }>,
  account: Account,
  userId: string,
  channelId: string,
  client: CommandArgs['client'],
): Promise<MessageBody> {
  switch (parsed.kind) {
    case 'review':
      return reviewCommandReply(deps, client, account, userId);
    case 'list': {
      const filter = await rosterFilter(deps, parsed.filter);
      if ('problem' in filter) return problemMessage(filter.problem, filter.hint);
      return rosterReply(account, filter);
    }
    case 'accounts': {
      const target = await resolveUser(deps, parsed.user);
      if ('problem' in target) return problemMessage(target.problem, target.hint);
      return accountsMessage(target.metaUserId, await deps.service.accountsOf(target.metaUserId));
    }
    case 'link':
    case 'unlink': {
      const person = await resolvePerson(deps, parsed.person);
      if ('problem' in person) return problemMessage(person.problem, person.hint);
      const result =
        parsed.kind === 'link'
          ? await deps.directory.link(person.slackId, parsed.metaUserId, userId, '/waba link')
          : await deps.directory.unlink(person.slackId, userId, '/waba unlink');
      return linkReply(result);
    }
    case 'active': {
      // Without `on`, every account's grants; with it, that account's. Those the person asked for or holds come
      // first, each with I'm done.
      const [grants, theirs] = await Promise.all([
        deps.service.activeGrants(parsed.account === undefined ? undefined : account),
        deps.service.grantsOf(userId),
      ]);
      const yours = new Set(theirs.map((grant) => grant.id));
      return activeGrantsMessage(grants, deps.accounts.list().length > 1 ? aliasesByWaba(deps) : undefined, yours);
    }
    case 'requests':
      return requestsMessage(await deps.service.requestsOf(userId));
    case 'history': {
      const target = await resolveUser(deps, parsed.user);
      if ('problem' in target) return problemMessage(target.problem, target.hint);
      return historyMessage(await deps.drift.historyOf(account, target.metaUserId), target.slackId);
    }
    case 'who':
      return whoMessage(await deps.drift.whoOn(account, dayOfRef(parsed.date, deps.drift.now())));
    case 'audit':
      // Without `on`, every account's trail.
      return auditCommand(deps, client, userId, parsed.account === undefined ? undefined : account, parsed.sinceMs);
    case 'grant':
    case 'revoke': {
      const target = await resolveUser(deps, parsed.user);
      if ('problem' in target) return problemMessage(target.problem, target.hint);
      if (parsed.kind === 'grant' && parsed.emergency) {
        const result = await deps.service.breakGlass({
          account: account.policy.alias,
          userId: target.metaUserId,
          ...(target.slackId ? { targetSlackId: target.slackId } : {}),
          tasks: parsed.tasks,
          ...(parsed.duration !== undefined ? { duration: parsed.duration } : {}),
          ...(parsed.reason ? { reason: parsed.reason } : {}),
          requesterId: userId,
          channelId,
        });
        return breakGlassReply(result);
      }
      const result = await deps.service.submit({
        kind: parsed.kind,
        account: account.policy.alias,
        userId: target.metaUserId,
        ...(target.slackId ? { targetSlackId: target.slackId } : {}),
        ...(parsed.kind === 'grant' ? { tasks: parsed.tasks } : {}),
        ...(parsed.kind === 'grant' && parsed.duration !== undefined ? { duration: parsed.duration } : {}),
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        requesterId: userId,
        channelId,
      });
      return submitReply(result);
    }
  }
}

/**
 * Whether a command may spend from Meta's budget, and so counts toward the per-person limit. A list counts only
 * when no recent read can serve it; the form, requests and the accounts list cost nothing.
 */
function costsCalls(
  parsed: Exclude<Command, { kind: 'help' | 'invalid' | 'account-list' }>,
  account: Account,
): boolean {
  switch (parsed.kind) {
    case 'grant':
    case 'revoke':
    case 'accounts':
    case 'link':
    case 'active':
    case 'review':
      return true;
    case 'list':
      return rosterCostsCalls(account.waba);
    case 'compose':
    case 'requests':
    case 'unlink':
    case 'history':
    case 'who':
    case 'audit':
      return false;
  }
}

/** The calendar day (UTC) a typed day names, `today` being the bot's. */
function dayOfRef(ref: DayRef, now: Date): string {
  return ref.kind === 'date' ? ref.day : addDays(dayOf(now), -ref.days);
}

/** Account aliases by WABA id, to name each grant's account when there are several. */
function aliasesByWaba(deps: ListenerDeps): Map<string, string> {
  return new Map(deps.accounts.list().map((account) => [account.policy.wabaId, account.policy.alias]));
}
