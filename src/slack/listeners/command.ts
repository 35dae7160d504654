import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type Command, parseCommand } from '../../access/grammar.js';
import { Limiter } from '../../access/limiter.js';
import { requestsMessage } from '../blocks/home.js';
import { composeModal } from '../blocks/modals.js';
import {
  accountsMessage,
  activeGrantsMessage,
  helpMessage,
  linkReply,
  problemMessage,
  rosterMessage,
  submitReply,
} from '../blocks/replies.js';
import type { MessageBody } from '../blocks/types.js';
import type { ListenerDeps } from './deps.js';
import { resolvePerson, resolveUser } from './people.js';
import { failureReply } from './replies.js';
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
    if (parsed.kind === 'invalid')
      return ack({ response_type: 'ephemeral', ...problemMessage(parsed.problem, parsed.hint) });
    await ack();
    await yieldToWaitingRequests();
    try {
      if (parsed.kind === 'compose') {
        await client.views.open({
          trigger_id: command.trigger_id,
          view: composeModal({ channelId: command.channel_id }),
        });
        return;
      }
      await replies.run(async () =>
        respond({
          response_type: 'ephemeral',
          ...(await answer(deps, parsed, command.user_id, command.channel_id)),
        }),
      );
    } catch (error) {
      logger.warn('waba command failed', error);
      await respond({ response_type: 'ephemeral', ...failureReply(error) });
    }
  };
}

async function answer(
  deps: ListenerDeps,
  parsed: Exclude<Command, { kind: 'help' | 'invalid' | 'compose' }>,
  userId: string,
  channelId: string,
): Promise<MessageBody> {
  switch (parsed.kind) {
    case 'list':
      return rosterMessage(await deps.service.roster(), deps.wabaId);
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
          ? await deps.directory.link(person.slackId, parsed.metaUserId, userId)
          : await deps.directory.unlink(person.slackId, userId);
      return linkReply(result, deps.adminIds);
    }
    case 'active':
      return activeGrantsMessage(await deps.service.activeGrants());
    case 'requests':
      return requestsMessage(await deps.service.requestsOf(userId));
    case 'grant':
    case 'revoke': {
      const target = await resolveUser(deps, parsed.user);
      if ('problem' in target) return problemMessage(target.problem, target.hint);
      const result = await deps.service.submit({
        kind: parsed.kind,
        userId: target.metaUserId,
        ...(target.slackId ? { targetSlackId: target.slackId } : {}),
        ...(parsed.kind === 'grant' ? { tasks: parsed.tasks } : {}),
        ...(parsed.kind === 'grant' && parsed.duration !== undefined ? { duration: parsed.duration } : {}),
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        requesterId: userId,
        channelId,
      });
      return submitReply(result, deps.approvalChannelId);
    }
  }
}
