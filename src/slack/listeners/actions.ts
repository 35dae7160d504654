import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { reply as replyBody } from '../blocks/kit.js';
import { denyModal, extendModal } from '../blocks/modals.js';
import type { Mrkdwn } from '../format.js';
import type { ListenerDeps } from './deps.js';
import { refreshPersonalList } from './home.js';
import { cancelReply, clickReply, grantClickReply, tellUser } from './replies.js';
import { yieldToWaitingRequests } from './yield.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** A private answer to the person who clicked (buttons in modals or the Home tab have no response URL). */
async function answerClick(args: ButtonArgs, reply: Mrkdwn | undefined): Promise<void> {
  if (!reply) return;
  const body = replyBody(reply);
  if (args.body.response_url) {
    await args.respond({ response_type: 'ephemeral', replace_original: false, text: body.text });
    return;
  }
  await tellUser(args.client, args.body.user.id, args.body.channel?.id, body);
}

export function approveButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await yieldToWaitingRequests();
    const result = await deps.service.decide({
      requestId: args.action.value ?? '',
      actorId: args.body.user.id,
      decision: 'approve',
    });
    await answerClick(args, clickReply(result));
    await refreshPersonalList(deps, args);
  };
}

/** The requester withdraws a pending request (from `/waba requests` or the Home tab). */
export function cancelButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.cancel({ requestId: args.action.value ?? '', actorId: args.body.user.id });
    await answerClick(args, cancelReply(result));
    await refreshPersonalList(deps, args);
  };
}

/** Deny asks for a reason first; people who may not decide are told so instead of seeing the form. */
export function denyButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const requestId = args.action.value ?? '';
    const verdict = await deps.service.verdict(requestId, args.body.user.id);
    if (verdict.kind !== 'allowed') return answerClick(args, clickReply(verdict));
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: denyModal(requestId) });
  };
}

export function retryButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.retry({ requestId: args.action.value ?? '', actorId: args.body.user.id });
    await answerClick(args, clickReply(result));
  };
}

/** Extend asks how much longer; the extension is then a request like any other. Approvers only. */
export function extendButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const check = await deps.service.extendable(args.action.value ?? '', args.body.user.id);
    if (check.kind !== 'active') return answerClick(args, grantClickReply(check));
    await args.client.views.open({
      trigger_id: args.body.trigger_id,
      view: extendModal(check.grant.id, check.grant.endsAt),
    });
  };
}

export function revokeNowButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.revokeGrantNow(args.action.value ?? '', args.body.user.id);
    await answerClick(args, grantClickReply(result));
  };
}

/** Restore or Keep, on a conflict found when a temporary grant ended. */
export function conflictButton(deps: ListenerDeps, choice: 'restore' | 'keep') {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.resolveConflict(args.action.value ?? '', choice, args.body.user.id);
    await answerClick(args, grantClickReply(result));
  };
}
