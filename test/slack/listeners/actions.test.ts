import { describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../../src/slack/ids.js';
import {
  approveButton,
  cancelButton,
  conflictButton,
  denyButton,
  extendButton,
  requestAgainButton,
  retryButton,
  revokeNowButton,
} from '../../../src/slack/listeners/actions.js';
import { encodePrefill } from '../../../src/slack/request-again.js';
import { visibleText } from '../../support/message-text.js';
import { pendingRequest } from '../../support/requests.js';
import {
  APPROVER,
  argOf,
  buttonArgs,
  callsWhileAnotherWaits,
  type Kit,
  kit,
  liveGrant,
  OPENED,
  REQUESTER,
  refusalText,
  TEAM_CHANNEL,
  viewOf,
} from './handler-args.js';

const request = pendingRequest();
const FORBIDDEN = { kind: 'forbidden', reason: 'not-approver', request, approverIds: ['UBOB'] };
const GRANT_FORBIDDEN = { kind: 'forbidden', reason: 'not-approver', approverIds: ['UBOB'] };

/** The one private answer on the response URL: ephemeral, leaving the clicked message as it is. */
function privateAnswer(k: Kit): string {
  expect(k.respond).toHaveBeenCalledTimes(1);
  const answer = argOf(k.respond);
  expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  return visibleText(answer as { text: string });
}

describe('Approve', () => {
  it('acks first, then decides as the clicker; a decision shows on the message, so no reply', async () => {
    const k = kit();
    await approveButton(k.deps)(buttonArgs(k, { actionId: ACTION.approve, value: 'r1' }));
    expect(k.calls).toEqual(['ack', 'service.decide']);
    expect(k.service.decide).toHaveBeenCalledWith({ requestId: 'r1', actorId: APPROVER, decision: 'approve' });
  });

  it('tells a clicker who may not decide why, privately, and nothing else', async () => {
    const k = kit();
    k.service.decide.mockResolvedValueOnce(FORBIDDEN);
    await approveButton(k.deps)(buttonArgs(k, { actionId: ACTION.approve, value: 'r1', userId: 'USTRANGER' }));
    expect(k.service.decide).toHaveBeenCalledWith(expect.objectContaining({ actorId: 'USTRANGER' }));
    expect(privateAnswer(k)).toContain('Only approvers can decide access requests; nothing changed');
    expect(k.calls).toEqual(['ack', 'service.decide', 'respond']);
  });

  it('answers a click on the Home tab by DM, then draws the Home tab again', async () => {
    const k = kit();
    k.service.decide.mockResolvedValueOnce({ kind: 'progress', request });
    await approveButton(k.deps)(buttonArgs(k, { actionId: ACTION.approve, value: 'r1', on: 'home' }));
    expect(k.calls.slice(0, 3)).toEqual(['ack', 'service.decide', 'chat.postMessage']);
    expect(argOf(k.slack['chat.postMessage'])).toMatchObject({ channel: APPROVER });
    expect(visibleText(argOf(k.slack['chat.postMessage']))).toContain('Your approval is recorded');
    expect(k.service.personalViewsOf).toHaveBeenCalledWith([APPROVER]);
    expect(argOf(k.slack['views.publish'])).toMatchObject({ user_id: APPROVER, view: { type: 'home' } });
    expect(k.respond).not.toHaveBeenCalled();
  });
});

describe('Deny', () => {
  it('opens the form before anything reads the store, for the request on the button', async () => {
    const k = kit();
    await denyButton(k.deps)(buttonArgs(k, { actionId: ACTION.deny, value: 'r1' }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.verdict']);
    expect(argOf(k.slack['views.open'])).toMatchObject({
      trigger_id: `trigger-${ACTION.deny}-${APPROVER}`,
      view: { callback_id: VIEW.deny, private_metadata: 'r1' },
    });
    expect(k.service.verdict).toHaveBeenCalledWith('r1', APPROVER);
    expect(k.respond).not.toHaveBeenCalled();
  });

  it('turns the form into the reason, with only Close, for a clicker who may not decide', async () => {
    const k = kit();
    k.service.verdict.mockResolvedValueOnce(FORBIDDEN);
    await denyButton(k.deps)(buttonArgs(k, { actionId: ACTION.deny, value: 'r1', userId: 'USTRANGER' }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.verdict', 'views.update']);
    expect(k.service.verdict).toHaveBeenCalledWith('r1', 'USTRANGER');
    expect(argOf(k.slack['views.update'])).toMatchObject({ view_id: OPENED.id, hash: OPENED.hash });
    expect(refusalText(k)).toContain('Only approvers can decide access requests');
    expect(k.respond).not.toHaveBeenCalled();
  });

  it('says who decided, in the form, when the request is no longer waiting', async () => {
    const k = kit();
    const decided = { ...request, state: 'denied', decidedBy: 'UBOB', decidedAt: request.createdAt };
    k.service.verdict.mockResolvedValueOnce({ kind: 'already', request: decided });
    await denyButton(k.deps)(buttonArgs(k, { actionId: ACTION.deny, value: 'r1' }));
    expect(visibleText(viewOf(k.slack['views.update']))).toContain('no longer waiting');
  });

  it('refuses privately on the response URL when the form was closed before it could be turned', async () => {
    const k = kit();
    k.service.verdict.mockResolvedValueOnce(FORBIDDEN);
    k.slack['views.update'].mockRejectedValueOnce(new Error('An API error occurred: not_found'));
    await denyButton(k.deps)(buttonArgs(k, { actionId: ACTION.deny, value: 'r1', userId: 'USTRANGER' }));
    expect(privateAnswer(k)).toContain('Only approvers');
    expect(k.logger.warn).toHaveBeenCalled();
  });

  it('still checks when Slack will not open the form, and says what to do', async () => {
    const k = kit();
    k.slack['views.open'].mockRejectedValueOnce(new Error('An API error occurred: expired_trigger_id'));
    await denyButton(k.deps)(buttonArgs(k, { actionId: ACTION.deny, value: 'r1' }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.verdict', 'respond']);
    expect(privateAnswer(k)).toContain('Click the button again');

    const refused = kit();
    refused.service.verdict.mockResolvedValueOnce(FORBIDDEN);
    refused.slack['views.open'].mockRejectedValueOnce(new Error('An API error occurred: expired_trigger_id'));
    await denyButton(refused.deps)(buttonArgs(refused, { actionId: ACTION.deny, value: 'r1', userId: 'USTRANGER' }));
    expect(privateAnswer(refused)).toContain('Only approvers');
    expect(refused.slack['views.update']).not.toHaveBeenCalled();
  });

  it('opens the form while other requests still wait for their acks, and checks once they are answered', async () => {
    const k = kit();
    const args = buttonArgs(k, { actionId: ACTION.deny, value: 'r1' });
    expect(await callsWhileAnotherWaits(k, () => denyButton(k.deps)(args))).toEqual(['ack', 'views.open']);
    expect(k.calls).toEqual(['ack', 'views.open', 'service.verdict']);
  });
});

describe('Extend', () => {
  it('opens the form before the grant is read, then fills in when it ends', async () => {
    const k = kit();
    await extendButton(k.deps)(buttonArgs(k, { actionId: ACTION.extend, value: 'g1' }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.extendable', 'views.update']);
    expect(k.service.extendable).toHaveBeenCalledWith('g1', APPROVER);
    const first = viewOf(k.slack['views.open']);
    expect(first).toMatchObject({ callback_id: VIEW.extend, private_metadata: 'g1' });
    expect(visibleText(first)).not.toContain('Now ends');
    const filled = viewOf(k.slack['views.update']);
    expect(argOf(k.slack['views.update'])).toMatchObject({ view_id: OPENED.id, hash: OPENED.hash });
    expect(filled).toMatchObject({ callback_id: VIEW.extend, private_metadata: 'g1' });
    expect(visibleText(filled)).toContain(`Now ends <!date^${Date.parse(liveGrant().endsAt) / 1000}^`);
    // The same input, so what the approver already typed stays.
    expect(filled.blocks.at(-1)).toEqual(first.blocks.at(-1));
  });

  it('turns the form into the reason for someone who may not extend, with only Close', async () => {
    const k = kit();
    k.service.extendable.mockResolvedValueOnce(GRANT_FORBIDDEN);
    await extendButton(k.deps)(buttonArgs(k, { actionId: ACTION.extend, value: 'g1', userId: REQUESTER }));
    expect(k.service.extendable).toHaveBeenCalledWith('g1', REQUESTER);
    expect(refusalText(k)).toContain('Only approvers');
    expect(k.respond).not.toHaveBeenCalled();
  });

  it('says so in the form when the grant has ended meanwhile', async () => {
    const k = kit();
    k.service.extendable.mockResolvedValueOnce({ kind: 'not-live' });
    await extendButton(k.deps)(buttonArgs(k, { actionId: ACTION.extend, value: 'g1' }));
    expect(visibleText(viewOf(k.slack['views.update']))).toContain('This access has already ended');
  });
});

describe('Retry', () => {
  it('acks first and retries as the clicker; a refusal is answered privately', async () => {
    const k = kit();
    k.service.retry.mockResolvedValueOnce({
      kind: 'retry-refused',
      request,
      refusal: { kind: 'retry-window-passed', until: '2026-03-01T10:00:00.000Z' },
    });
    await retryButton(k.deps)(buttonArgs(k, { actionId: ACTION.retry, value: 'r1' }));
    expect(k.calls).toEqual(['ack', 'service.retry', 'respond']);
    expect(k.service.retry).toHaveBeenCalledWith({ requestId: 'r1', actorId: APPROVER });
    expect(privateAnswer(k)).toContain('The time to retry this request ended <!date^1772359200^');
  });
});

describe('Cancel', () => {
  it('acks first and cancels as the clicker, saying so privately', async () => {
    const k = kit();
    await cancelButton(k.deps)(buttonArgs(k, { actionId: ACTION.cancel, value: 'r1', userId: REQUESTER }));
    expect(k.calls).toEqual(['ack', 'service.cancel', 'respond']);
    expect(k.service.cancel).toHaveBeenCalledWith({ requestId: 'r1', actorId: REQUESTER });
    expect(privateAnswer(k)).toContain('Canceled request `r1`');
  });

  it('refuses someone else’s request privately', async () => {
    const k = kit();
    k.service.cancel.mockResolvedValueOnce({ kind: 'not-requester', request });
    await cancelButton(k.deps)(buttonArgs(k, { actionId: ACTION.cancel, value: 'r1', userId: 'USTRANGER' }));
    expect(privateAnswer(k)).toContain('Only the person who asked can cancel a request');
  });

  it('draws the `/waba requests` list again in place when clicked there', async () => {
    const k = kit();
    await cancelButton(k.deps)(
      buttonArgs(k, { actionId: ACTION.cancel, value: 'r1', userId: REQUESTER, on: 'ephemeral' }),
    );
    expect(k.calls).toEqual(['ack', 'service.cancel', 'respond', 'service.requestsOf', 'respond']);
    expect(argOf(k.respond, 1)).toMatchObject({ replace_original: true });
  });
});

describe('Revoke now', () => {
  it('acks first and ends the grant as the clicker; the message shows the end, so no reply', async () => {
    const k = kit();
    await revokeNowButton(k.deps)(buttonArgs(k, { actionId: ACTION.revokeNow, value: 'g1' }));
    expect(k.calls).toEqual(['ack', 'service.revokeGrantNow']);
    expect(k.service.revokeGrantNow).toHaveBeenCalledWith('g1', APPROVER);
  });

  it('refuses privately someone who may not', async () => {
    const k = kit();
    k.service.revokeGrantNow.mockResolvedValueOnce(GRANT_FORBIDDEN);
    await revokeNowButton(k.deps)(buttonArgs(k, { actionId: ACTION.revokeNow, value: 'g1', userId: 'USTRANGER' }));
    expect(k.service.revokeGrantNow).toHaveBeenCalledWith('g1', 'USTRANGER');
    expect(privateAnswer(k)).toContain('Only approvers');
  });
});

describe.each(['restore', 'keep'] as const)('%s on a conflict', (choice) => {
  const actionId = choice === 'restore' ? ACTION.restore : ACTION.keep;

  it('acks first and settles the conflict as the clicker', async () => {
    const k = kit();
    await conflictButton(k.deps, choice)(buttonArgs(k, { actionId, value: 'g1' }));
    expect(k.calls).toEqual(['ack', 'service.resolveConflict']);
    expect(k.service.resolveConflict).toHaveBeenCalledWith('g1', choice, APPROVER);
  });

  it('says privately when the conflict was settled already', async () => {
    const k = kit();
    k.service.resolveConflict.mockResolvedValueOnce({ kind: 'not-live', grant: liveGrant({ state: 'ended' }) });
    await conflictButton(k.deps, choice)(buttonArgs(k, { actionId, value: 'g1' }));
    expect(privateAnswer(k)).toContain('This access has already ended (or its conflict was settled)');
  });

  it('refuses privately someone who may not, answering by DM on the Home tab', async () => {
    const k = kit();
    k.service.resolveConflict.mockResolvedValueOnce(GRANT_FORBIDDEN);
    await conflictButton(k.deps, choice)(buttonArgs(k, { actionId, value: 'g1', userId: 'USTRANGER', on: 'home' }));
    expect(k.calls).toEqual(['ack', 'service.resolveConflict', 'chat.postMessage']);
    expect(argOf(k.slack['chat.postMessage'])).toMatchObject({ channel: 'USTRANGER' });
  });
});

describe('Request again', () => {
  const value = encodePrefill({ kind: 'grant', userId: '300000000000009', tasks: ['MESSAGING'], reason: 'covering' });

  it('opens the form filled in from the button, reading nothing first', async () => {
    const k = kit();
    await requestAgainButton(k.deps)(
      buttonArgs(k, { actionId: ACTION.requestAgain, value, userId: REQUESTER, on: 'ephemeral' }),
    );
    expect(k.calls).toEqual(['ack', 'views.open']);
    const form = viewOf(k.slack['views.open']);
    expect(form).toMatchObject({
      callback_id: VIEW.compose,
      private_metadata: JSON.stringify({ channelId: TEAM_CHANNEL }),
    });
    expect(JSON.stringify(form.blocks)).toContain('"initial_value":"covering"');
  });

  it('opens the form while other requests still wait for their acks', async () => {
    const k = kit();
    const args = buttonArgs(k, { actionId: ACTION.requestAgain, value });
    expect(await callsWhileAnotherWaits(k, () => requestAgainButton(k.deps)(args))).toEqual(['ack', 'views.open']);
  });
});
