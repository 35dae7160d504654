import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type Command, parseCommand } from '../../access/grammar.js';
import { composeModal } from '../blocks/modals.js';
import {
  accountsMessage,
  activeGrantsMessage,
  helpMessage,
  problemMessage,
  rosterMessage,
  submitReply,
} from '../blocks/replies.js';
import type { MessageBody } from '../blocks/types.js';
import type { ListenerDeps } from './deps.js';
import { failureReply } from './replies.js';
import { yieldToWaitingRequests } from './yield.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * `/waba …`. Parsing is instant, so help and mistakes are answered in the ack itself; anything that needs Meta or
 * the store is acknowledged first and answered through the response URL.
 */
export function wabaCommand(deps: ListenerDeps) {
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
      await respond({
        response_type: 'ephemeral',
        ...(await answer(deps, parsed, command.user_id, command.channel_id)),
      });
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
    case 'accounts':
      return accountsMessage(parsed.userId, await deps.service.accountsOf(parsed.userId));
    case 'active':
      return activeGrantsMessage(await deps.service.activeGrants());
    case 'grant':
    case 'revoke': {
      const result = await deps.service.submit({
        kind: parsed.kind,
        userId: parsed.userId,
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
