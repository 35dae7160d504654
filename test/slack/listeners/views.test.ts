import { describe, expect, it } from 'vitest';
import { CommandLimit } from '../../../src/slack/command-limit.js';
import { FIELD, VIEW } from '../../../src/slack/ids.js';
import { composeSubmission, denySubmission, extendSubmission } from '../../../src/slack/listeners/views.js';
import { visibleText } from '../../support/message-text.js';
import { pendingRequest } from '../../support/requests.js';
import { ALICE } from '../../support/service-fixture.js';
import { APPROVER, argOf, kit, REQUESTER, TEAM_CHANNEL, viewArgs } from './handler-args.js';

const request = pendingRequest();

/** What the compose form sends: a grant of `tasks` for a typed Meta id, unless told otherwise. */
function composeValues({
  user = ALICE,
  person,
  tasks = ['MESSAGING'],
  reason = 'on call',
  duration,
}: {
  user?: string;
  person?: string;
  tasks?: string[];
  reason?: string;
  duration?: string;
} = {}) {
  return {
    ...(duration === undefined
      ? {}
      : { [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value: duration } } }),
    [FIELD.kind]: { [FIELD.kind]: { type: 'radio_buttons', selected_option: { value: 'grant' } } },
    [FIELD.person]: { [FIELD.person]: { type: 'users_select', selected_user: person ?? null } },
    [FIELD.user]: { [FIELD.user]: { type: 'plain_text_input', value: user } },
    [FIELD.tasks]: {
      [FIELD.tasks]: { type: 'multi_static_select', selected_options: tasks.map((value) => ({ value })) },
    },
    [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: reason } },
  };
}

const composeMetadata = JSON.stringify({ channelId: TEAM_CHANNEL });

describe('the compose form', () => {
  it('answers a length it cannot read beside the field, saying every form it takes, and files nothing', async () => {
    const k = kit();
    await composeSubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.compose,
        privateMetadata: composeMetadata,
        values: composeValues({ duration: 'a while' }),
        userId: REQUESTER,
      }),
    );
    expect(k.ack).toHaveBeenCalledWith({
      response_action: 'errors',
      errors: {
        [FIELD.duration]:
          'Use a number and a unit: 30m, 4h, 2d. Or leave it empty for the account’s default, or write permanent.',
      },
    });
    expect(k.service.submit).not.toHaveBeenCalled();
  });

  it('acks once, then files the request as the person who sent it and tells them in their channel', async () => {
    const k = kit();
    k.service.submit.mockResolvedValueOnce({ kind: 'already-has', userId: ALICE, tasks: ['MESSAGING'] });
    await composeSubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.compose,
        privateMetadata: composeMetadata,
        values: composeValues(),
        userId: REQUESTER,
      }),
    );
    expect(k.calls).toEqual(['ack', 'directory.slackIdOf', 'service.submit', 'chat.postEphemeral']);
    expect(k.ack).toHaveBeenCalledWith();
    expect(argOf(k.service.submit)).toMatchObject({
      kind: 'grant',
      userId: ALICE,
      tasks: ['MESSAGING'],
      reason: 'on call',
      requesterId: REQUESTER,
      channelId: TEAM_CHANNEL,
    });
    expect(argOf(k.slack['chat.postEphemeral'])).toMatchObject({ channel: TEAM_CHANNEL, user: REQUESTER });
    expect(visibleText(argOf(k.slack['chat.postEphemeral']))).toContain(`User ${ALICE} already has MESSAGING`);
  });

  it('keeps the form open with each mistake next to its field, filing nothing', async () => {
    const k = kit();
    await composeSubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.compose,
        privateMetadata: composeMetadata,
        values: composeValues({ user: 'alice', tasks: [] }),
      }),
    );
    expect(k.calls).toEqual(['ack']);
    expect(argOf(k.ack)).toEqual({
      response_action: 'errors',
      errors: {
        [FIELD.user]: expect.stringContaining('digits only'),
        [FIELD.tasks]: expect.stringContaining('at least one task'),
      },
    });
  });

  it('says next to the person field when the person chosen is not linked to a Meta user', async () => {
    const k = kit();
    await composeSubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.compose,
        privateMetadata: composeMetadata,
        values: composeValues({ user: '', person: 'UZOE' }),
      }),
    );
    expect(k.directory.metaIdOf).toHaveBeenCalledWith('UZOE');
    expect(argOf(k.ack)).toMatchObject({
      response_action: 'errors',
      errors: { [FIELD.person]: expect.stringContaining('enter their Meta id instead') },
    });
    expect(k.service.submit).not.toHaveBeenCalled();
  });

  it('counts against the per-person limit, and over it keeps the form open saying when to try again', async () => {
    const k = kit({ commandLimit: new CommandLimit(1) });
    const send = () =>
      composeSubmission(k.deps)(
        viewArgs(k, { callbackId: VIEW.compose, privateMetadata: composeMetadata, values: composeValues() }),
      );
    await send();
    await send();
    expect(k.service.submit).toHaveBeenCalledTimes(1);
    expect(argOf(k.ack, 1)).toMatchObject({
      response_action: 'errors',
      errors: { [FIELD.user]: expect.stringContaining('Nothing was sent') },
    });
  });

  it('tells the person privately, after the ack, when filing fails', async () => {
    const k = kit();
    k.service.submit.mockRejectedValueOnce(new Error('store unreachable'));
    await composeSubmission(k.deps)(
      viewArgs(k, { callbackId: VIEW.compose, privateMetadata: composeMetadata, values: composeValues() }),
    );
    expect(k.calls).toEqual(['ack', 'directory.slackIdOf', 'service.submit', 'chat.postEphemeral']);
    expect(visibleText(argOf(k.slack['chat.postEphemeral']))).toContain('Something went wrong on my side');
    expect(k.logger.warn).toHaveBeenCalled();
  });
});

describe('the deny form', () => {
  it('acks first, then denies the request in its metadata as the person who sent it, with the reason', async () => {
    const k = kit();
    await denySubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.deny,
        privateMetadata: 'r1',
        values: { [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: '  use the inbox  ' } } },
      }),
    );
    expect(k.calls).toEqual(['ack', 'service.decide']);
    expect(k.service.decide).toHaveBeenCalledWith({
      requestId: 'r1',
      actorId: APPROVER,
      decision: 'deny',
      reason: 'use the inbox',
    });
  });

  it('refuses by DM someone who may not decide (a form has no response URL)', async () => {
    const k = kit();
    k.service.decide.mockResolvedValueOnce({
      kind: 'forbidden',
      reason: 'own-request',
      request,
      approverIds: [APPROVER],
    });
    await denySubmission(k.deps)(
      viewArgs(k, { callbackId: VIEW.deny, privateMetadata: 'r1', values: {}, userId: REQUESTER }),
    );
    expect(k.service.decide).toHaveBeenCalledWith({ requestId: 'r1', actorId: REQUESTER, decision: 'deny' });
    expect(k.calls).toEqual(['ack', 'service.decide', 'chat.postMessage']);
    expect(argOf(k.slack['chat.postMessage'])).toMatchObject({ channel: REQUESTER });
    expect(visibleText(argOf(k.slack['chat.postMessage']))).toContain('You made this request');
  });
});

describe('the extend form', () => {
  const duration = (value: string) => ({
    [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value } },
  });

  it('keeps the form open on a duration it cannot read, asking nothing of the service', async () => {
    const k = kit();
    await extendSubmission(k.deps)(
      viewArgs(k, { callbackId: VIEW.extend, privateMetadata: 'g1', values: duration('soon') }),
    );
    expect(k.calls).toEqual(['ack']);
    expect(argOf(k.ack)).toEqual({
      response_action: 'errors',
      errors: { [FIELD.duration]: 'Use a number and a unit: 30m, 4h, 2d.' },
    });
  });

  it('acks first, then asks for the extension as the person who sent it and tells them by DM', async () => {
    const k = kit();
    k.service.submitExtension.mockResolvedValueOnce({ kind: 'not-approver' });
    await extendSubmission(k.deps)(
      viewArgs(k, { callbackId: VIEW.extend, privateMetadata: 'g1', values: duration('2h') }),
    );
    expect(k.calls).toEqual(['ack', 'service.submitExtension', 'chat.postMessage']);
    expect(k.service.submitExtension).toHaveBeenCalledWith({
      grantId: 'g1',
      durationMs: 2 * 3_600_000,
      requesterId: APPROVER,
    });
    expect(argOf(k.slack['chat.postMessage'])).toMatchObject({ channel: APPROVER });
    expect(visibleText(argOf(k.slack['chat.postMessage']))).toContain(
      'Only approvers, the person who asked for this access and the person it is for can ask for more time',
    );
  });
});
