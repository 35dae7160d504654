import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, BOB, DAVE, eventually, Harness, LEAD, TEAM_CHANNEL } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** What a person sees of their own ephemeral messages in the team channel, newest last. */
const ephemeralsOf = (userId: string) =>
  h.slack.workspace.visibleIn(TEAM_CHANNEL, userId).filter((message) => message.visibleTo === userId);

describe('/waba requests', () => {
  it('lists the requester’s open requests with Cancel, and Cancel withdraws one and redraws the list', async () => {
    h = await Harness.start();
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING because onboarding`);
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `revoke ${ALICE}`);
    await eventually(() => h.approvalMessages().length === 2);

    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', 'requests');
    const list = await eventually(() => ephemeralsOf(LEAD).find((m) => visibleText(m).includes('Your open requests')));
    expect(visibleText(list)).toContain('Nothing is waiting for you.');
    expect(buttonsOf(list)).toEqual([ACTION.cancel, ACTION.cancel]);

    await h.slack.link.click(LEAD, `${list.channel}:${list.ts}`, ACTION.cancel);
    const redrawn = await eventually(() => {
      const message = h.slack.workspace.ephemerals.get(`${list.channel}:${list.ts}`)!;
      return message.updates > 0 && message;
    });
    expect(buttonsOf(redrawn)).toEqual([ACTION.cancel]);
    const canceled = await eventually(() =>
      h.approvalMessages().find((m) => visibleText(m).includes(`Canceled by <@${LEAD}>`)),
    );
    expect(buttonsOf(canceled)).toEqual([]);
    expect(h.graph.writes()).toEqual([]);
  });

  it('lists for an approver what waits for their decision, and approving from the list works once', async () => {
    h = await Harness.start();
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING`);
    await eventually(() => h.approvalMessages().length === 1);

    await h.slack.link.command(ANN, TEAM_CHANNEL, '/waba', 'requests');
    const list = await eventually(() =>
      ephemeralsOf(ANN).find((m) => visibleText(m).includes('Waiting for your decision')),
    );
    expect(visibleText(list)).toContain(`From <@${LEAD}>`);
    expect(buttonsOf(list)).toEqual([ACTION.approve, ACTION.deny]);

    await h.slack.link.click(ANN, `${list.channel}:${list.ts}`, ACTION.approve);
    await eventually(() => h.graph.writes().length === 1);
    const redrawn = await eventually(() => {
      const message = h.slack.workspace.ephemerals.get(`${list.channel}:${list.ts}`)!;
      return message.updates > 0 && message;
    });
    expect(visibleText(redrawn)).toContain('Nothing is waiting for you.');
  });

  it('refuses Cancel by anyone but the requester', async () => {
    h = await Harness.start();
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING`);
    await eventually(() => h.approvalMessages().length === 1);
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', 'requests');
    const list = await eventually(() => ephemeralsOf(LEAD).find((m) => buttonsOf(m).includes(ACTION.cancel)));

    // A forged click by Bob on Lena's list: the stored request decides, not the button.
    await h.slack.link.click(BOB, `${list.channel}:${list.ts}`, ACTION.cancel);
    const reply = await eventually(() =>
      ephemeralsOf(BOB).find((m) => visibleText(m).includes('Only the person who asked')),
    );
    expect(reply).toBeTruthy();
    expect(visibleText(h.approvalMessages()[0]!)).not.toContain('Canceled');
  });
});

describe('the Home tab', () => {
  it('shows what waits for the approver and recent activity, and redraws after a decision there', async () => {
    h = await Harness.start();
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING`);
    await eventually(() => h.approvalMessages().length === 1);

    await h.slack.link.openHome(ANN);
    const home = await eventually(() => h.slack.workspace.homes.get(ANN));
    expect(visibleText({ blocks: home.view.blocks })).toContain('Waiting for your decision');
    expect(buttonsOf({ blocks: home.view.blocks })).toEqual([ACTION.approve, ACTION.deny]);

    await h.slack.link.clickHome(ANN, ACTION.approve);
    await eventually(() => h.graph.writes().length === 1);
    const after = await eventually(() => {
      const view = h.slack.workspace.homes.get(ANN)!.view;
      return visibleText({ blocks: view.blocks }).includes('Approved by') && view;
    });
    expect(visibleText({ blocks: after.blocks })).toContain('Nothing is waiting for you.');
    expect(visibleText({ blocks: after.blocks })).toContain('Recent activity');

    await h.slack.link.openHome(LEAD);
    const lead = await eventually(() => h.slack.workspace.homes.get(LEAD));
    expect(visibleText({ blocks: lead.view.blocks })).toContain(`Approved by <@${ANN}>`);
  });
});
