import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { denyModal } from '../blocks/modals.js';
import type { ListenerDeps } from './deps.js';
import { clickReply } from './replies.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The button's value names the request; everything else comes from the store. */
async function answerClick(args: ButtonArgs, reply: string | undefined): Promise<void> {
  if (!reply) return;
  await args.respond({ response_type: 'ephemeral', replace_original: false, text: reply });
}

export function approveButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.decide({
      requestId: args.action.value ?? '',
      actorId: args.body.user.id,
      decision: 'approve',
    });
    await answerClick(args, clickReply(result, deps.approverIds));
  };
}

/** Deny asks for a reason first; people who may not decide are told so instead of seeing the form. */
export function denyButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const requestId = args.action.value ?? '';
    const verdict = await deps.service.verdict(requestId, args.body.user.id);
    if (verdict.kind !== 'allowed') return answerClick(args, clickReply(verdict, deps.approverIds));
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: denyModal(requestId) });
  };
}

export function retryButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.retry({ requestId: args.action.value ?? '', actorId: args.body.user.id });
    await answerClick(args, clickReply(result, deps.approverIds));
  };
}
