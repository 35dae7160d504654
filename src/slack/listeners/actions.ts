import { denyModal, extendModal, FORM_NOT_OPENED_TEXT } from '../blocks/modals.js';
import { decodePrefill } from '../request-again.js';
import { composeForm } from './compose.js';
import type { ListenerDeps } from './deps.js';
import { openForm, refuse, replaceForm } from './forms.js';
import { publishHome, refreshPersonalList } from './home.js';
import {
  answerClick,
  type ButtonArgs,
  cancelReply,
  clickReply,
  doneReply,
  failureReply,
  grantClickReply,
  reviewClickReply,
} from './replies.js';
import { yieldToWaitingRequests } from './yield.js';

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

/**
 * Deny asks for a reason. The form opens first, with the request id from the button; whether the clicker may
 * decide is checked after, and the form then says why not instead. The submission is checked again.
 */
export function denyButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const requestId = args.action.value ?? '';
    const view = denyModal(requestId);
    const form = await openForm(args, view);
    await yieldToWaitingRequests();
    const verdict = await deps.service.verdict(requestId, args.body.user.id);
    if (verdict.kind !== 'allowed') return refuse(args, form, view.title.text, clickReply(verdict));
    if (!form) await answerClick(args, FORM_NOT_OPENED_TEXT);
  };
}

export function retryButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const result = await deps.service.retry({ requestId: args.action.value ?? '', actorId: args.body.user.id });
    await answerClick(args, clickReply(result));
  };
}

/**
 * Extend asks how much longer; the extension is then a request like any other. Approvers only. The form opens
 * first, with the grant id from the button; once the grant is read it shows when the grant ends, or why the
 * clicker may not extend it.
 */
export function extendButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const grantId = args.action.value ?? '';
    const view = extendModal(grantId);
    const form = await openForm(args, view);
    await yieldToWaitingRequests();
    const check = await deps.service.extendable(grantId, args.body.user.id);
    if (check.kind !== 'active') return refuse(args, form, view.title.text, grantClickReply(check));
    if (!form) return answerClick(args, FORM_NOT_OPENED_TEXT);
    await replaceForm(args, form, extendModal(check.grant.id, check.grant.endsAt));
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

/**
 * I'm done: the person who asked for a temporary grant, or holds it, gives it back now — from `/waba active`, the Home
 * tab or the heads-up before it ends. The stored grant decides who may, not where the button was.
 */
export function doneButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await yieldToWaitingRequests();
    try {
      const result = await deps.service.endGrantAsDone(args.action.value ?? '', args.body.user.id);
      await answerClick(args, doneReply(result));
    } catch (error) {
      // Meta refused putting back what the user had (or the store failed): the grant runs on, and they hear why.
      args.logger.warn("I'm done failed", error);
      await answerClick(args, failureReply(error));
    }
    if (args.body.view?.type === 'home') await publishHome(deps, args.client, args.body.user.id);
  };
}

/**
 * Request again: opens the request form filled in as a finished request was. The form opens at once, from what the
 * button carries (a click's trigger_id lives about 3 seconds); what is submitted is checked like any request, and a
 * button whose value is not one of ours opens the form empty.
 */
export function requestAgainButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const prefill = decodePrefill(args.action.value ?? '');
    const channelId = args.body.channel?.id ?? args.body.user.id;
    const form = await openForm(args, composeForm(deps, channelId, prefill));
    if (!form) await answerClick(args, FORM_NOT_OPENED_TEXT);
  };
}

/** Looks right or Revoke now, on a break-glass use: an approver other than its user and the person it is for. */
export function breakGlassReviewButton(deps: ListenerDeps, verdict: 'looks-right' | 'revoked') {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await yieldToWaitingRequests();
    const result = await deps.service.reviewBreakGlass({
      requestId: args.action.value ?? '',
      actorId: args.body.user.id,
      verdict,
    });
    await answerClick(args, reviewClickReply(result));
  };
}
