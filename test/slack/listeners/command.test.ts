import { describe, expect, it } from 'vitest';
import { VIEW } from '../../../src/slack/ids.js';
import { wabaCommand } from '../../../src/slack/listeners/command.js';
import { visibleText } from '../../support/message-text.js';
import { argOf, callsWhileAnotherWaits, commandArgs, kit, REQUESTER, TEAM_CHANNEL } from './handler-args.js';

describe('/waba alone: the request form', () => {
  it('opens straight after the ack, with the channel to answer in', async () => {
    const k = kit();
    await wabaCommand(k.deps)(commandArgs(k, { text: '' }));
    expect(k.calls).toEqual(['ack', 'views.open']);
    expect(argOf(k.slack['views.open'])).toMatchObject({
      trigger_id: `trigger-command-${REQUESTER}`,
      view: { callback_id: VIEW.compose, private_metadata: JSON.stringify({ channelId: TEAM_CHANNEL }) },
    });
  });

  it('does not wait for other requests’ acks: the trigger_id lives about 3 seconds', async () => {
    const k = kit();
    const args = commandArgs(k, { text: '' });
    // The other request is still waiting, and the form is open already.
    expect(await callsWhileAnotherWaits(k, () => wabaCommand(k.deps)(args))).toEqual(['ack', 'views.open']);
  });

  it('says privately that something went wrong when Slack will not open the form', async () => {
    const k = kit();
    k.slack['views.open'].mockRejectedValueOnce(new Error('An API error occurred: expired_trigger_id'));
    await wabaCommand(k.deps)(commandArgs(k, { text: '' }));
    expect(k.calls).toEqual(['ack', 'views.open', 'respond']);
    expect(argOf(k.respond)).toMatchObject({ response_type: 'ephemeral' });
    expect(visibleText(argOf(k.respond) as { text: string })).toContain('nothing was changed');
  });
});

describe('/waba requests', () => {
  it('lets waiting acks go first, then reads the store for the person who typed it', async () => {
    const k = kit();
    const args = commandArgs(k, { text: 'requests' });
    expect(await callsWhileAnotherWaits(k, () => wabaCommand(k.deps)(args))).toEqual(['ack']);
    expect(k.calls).toEqual(['ack', 'service.requestsOf', 'respond']);
    expect(k.service.requestsOf).toHaveBeenCalledWith(REQUESTER);
    expect(argOf(k.respond)).toMatchObject({ response_type: 'ephemeral' });
  });
});
