import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ALICE_IN_SLACK,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  CAROL,
  DAVE,
  eventually,
  Harness,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const dmsOf = (userId: string) => h.slack.messagesIn(`D${userId.slice(1)}`);
const keyOf = (message: { channel: string; ts: string }) => `${message.channel}:${message.ts}`;
const fresh = (message: SlackMessage) => h.slack.messages.get(keyOf(message))!;
/** What a person sees of their own ephemeral messages in the team channel, newest last. */
const ephemeralsOf = (userId: string) =>
  h.slack.workspace.visibleIn(TEAM_CHANNEL, userId).filter((message) => message.visibleTo === userId);
const homeOf = (userId: string) => {
  const view = h.slack.workspace.homes.get(userId)?.view;
  return view ? { text: visibleText({ blocks: view.blocks }), buttons: buttonsOf({ blocks: view.blocks }) } : undefined;
};
const publishesFor = (userId: string) =>
  h.slack.callsOf('views.publish').filter((call) => call.args.user_id === userId).length;

/** `/waba text` typed by `userId` in the team channel, as Slack sends it. */
const type = (userId: string, text: string) => h.slack.link.command(userId, TEAM_CHANNEL, '/waba', text);

/** A grant asked for by the lead and approved by Ann; the approval message once it shows the running grant. */
async function approvedGrant(text: string): Promise<SlackMessage> {
  const before = h.approvalMessages().length;
  await type(LEAD, text);
  const approval = await eventually(() => h.approvalMessages()[before]);
  await h.click(approval, ACTION.approve, ANN);
  return eventually(() => buttonsOf(fresh(approval)).includes(ACTION.revokeNow) && fresh(approval));
}

/** Links Alice's Slack account to her Meta user (Ann is an admin: the approvers administer a single account). */
async function linkAlice() {
  expect(await h.answer(`link <@${ALICE_IN_SLACK}> ${ALICE}`, ANN)).toContain('is now Meta business user');
}

describe("I'm done", () => {
  it('gives access back from /waba active at once, once, restoring what the user had and telling the approvers', async () => {
    h = await Harness.start();
    const approval = await approvedGrant(`grant ${ALICE} MESSAGING for 1h because launch`);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    const callsBefore = h.graph.calls.length;

    await type(LEAD, 'active');
    const list = await eventually(() => ephemeralsOf(LEAD).find((m) => buttonsOf(m).includes(ACTION.done)));
    expect(visibleText(list)).toContain(ALICE);
    // Others see the grant, without I'm done.
    await type(STRANGER, 'active');
    const theirs = await eventually(() => ephemeralsOf(STRANGER).find((m) => visibleText(m).includes(ALICE)));
    expect(buttonsOf(theirs)).toEqual([]);

    // Two clicks at once (a double click): one end.
    await Promise.all([
      h.slack.link.click(LEAD, keyOf(list), ACTION.done),
      h.slack.link.click(LEAD, keyOf(list), ACTION.done),
    ]);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
    await h.bot!.service.drain();
    const endCalls = h.graph.calls.slice(callsBefore).map((call) => `${call.method} ${call.path.split('/').at(-1)}`);
    expect(endCalls.filter((call) => call.startsWith('POST') || call.startsWith('DELETE'))).toEqual([
      'POST assigned_users',
    ]);
    expect(h.graph.writes().map((call) => call.form.tasks)).toEqual(['["MANAGE","MESSAGING"]', '["MANAGE"]']);
    const replies = await eventually(() => {
      const texts = ephemeralsOf(LEAD).map(visibleText);
      return texts.some((text) => text.includes('already ended')) && texts.some((t) => t.startsWith('Done')) && texts;
    });
    expect(replies.filter((text) => text.includes('Done: the access has ended'))).toHaveLength(1);
    expect(replies.filter((text) => text.includes('already ended'))).toHaveLength(1);

    // The approval message says who gave it back; the approvers hear it where they decide.
    const ended = await eventually(() => buttonsOf(fresh(approval)).length === 0 && fresh(approval));
    expect(visibleText(ended)).toContain(`by <@${LEAD}>, who was done with it`);
    expect(visibleText(ended)).toContain('is back to `MANAGE`');
    // Besides the update, a message of its own where the approvers decide.
    const told = await eventually(() =>
      h.approvalMessages().find((m) => m.ts !== approval.ts && visibleText(m).includes('who was done with it')),
    );
    expect(visibleText(told)).toContain('✋');
    // The requester's DM about the end offers to ask again.
    const dm = await eventually(() => dmsOf(LEAD).find((m) => visibleText(m).includes('who was done with it')));
    expect(buttonsOf(dm)).toEqual([ACTION.requestAgain]);
  });

  it('lets the person it is for give it back from the Home tab, kept current without opening it again', async () => {
    h = await Harness.start();
    await linkAlice();
    await approvedGrant(`grant <@${ALICE_IN_SLACK}> VIEW_COST for 1h`);
    // Published again because the grant concerns her: she never opened the Home tab.
    const home = await eventually(
      () => homeOf(ALICE_IN_SLACK)?.text.includes('Your temporary access') && homeOf(ALICE_IN_SLACK),
    );
    expect(home.buttons).toContain(ACTION.done);

    await h.slack.link.clickHome(ALICE_IN_SLACK, ACTION.done);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
    await eventually(() => !homeOf(ALICE_IN_SLACK)?.text.includes('Your temporary access'));
    expect(await h.bot!.service.activeGrants()).toEqual([]);
    await eventually(() =>
      h.approvalMessages().find((m) => visibleText(m).includes(`by <@${ALICE_IN_SLACK}>, who was done with it`)),
    );
  });

  it('refuses anyone else, saying who may, and removes a user who had no access before', async () => {
    h = await Harness.start();
    const approval = await approvedGrant(`grant ${DAVE} MESSAGING for 1h`);
    const [grant] = await h.bot!.service.activeGrants();
    // A forged click by a stranger, and an approver's: the stored grant decides.
    for (const who of [STRANGER, BOB]) {
      const click = await h.click(approval, ACTION.done, who, grant!.id);
      expect(visibleText(await eventually(() => h.responses(click.responseId)[0]))).toContain(
        `Only <@${LEAD}>, who asked for this access, or the person it is for`,
      );
    }
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);
    await h.click(approval, ACTION.done, LEAD, grant!.id);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE) === undefined);
    expect(h.graph.writes().at(-1)).toMatchObject({ method: 'DELETE' });
  });

  it('asks the approvers, touching nothing, when the user’s access changed outside the bot', async () => {
    h = await Harness.start();
    const approval = await approvedGrant(`grant ${ALICE} MESSAGING for 1h`);
    const [grant] = await h.bot!.service.activeGrants();
    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    const click = await h.click(approval, ACTION.done, LEAD, grant!.id);
    expect(visibleText(await eventually(() => h.responses(click.responseId)[0]))).toContain(
      'the approvers have been asked to restore or keep it',
    );
    await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.keep)));
    expect(h.graph.writes()).toHaveLength(1);
  });
});

describe('the heads-up before access ends', () => {
  it('reaches the requester and the person it is for once, also across a restart, with the two buttons', async () => {
    h = await Harness.start({ env: { MIN_GRANT_DURATION: '1s', EXPIRY_NOTICE: '5s' }, sweepIntervalMs: 100 });
    await linkAlice();
    await approvedGrant(`grant <@${ALICE_IN_SLACK}> MESSAGING for 6s`);
    const notices = (userId: string) => dmsOf(userId).filter((m) => visibleText(m).includes('Ending soon'));
    const lead = await eventually(() => notices(LEAD)[0], 4_000);
    await eventually(() => notices(ALICE_IN_SLACK)[0]);
    expect(buttonsOf(lead)).toEqual([ACTION.extend, ACTION.done]);
    expect(visibleText(lead)).toMatch(/ends <!date\^\d+\^\{date_short_pretty\} at \{time\}\|/);

    await h.restartBot();
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE', 8_000);
    await sleep(300);
    expect(notices(LEAD)).toHaveLength(1);
    expect(notices(ALICE_IN_SLACK)).toHaveLength(1);
    expect(notices(ANN)).toHaveLength(0);
  });

  it('asks for more time from the heads-up as a request another approver decides', async () => {
    // The heads-up window opens a second after the grant starts.
    h = await Harness.start({ env: { EXPIRY_NOTICE: '59m59s' }, sweepIntervalMs: 100 });
    await linkAlice();
    await approvedGrant(`grant <@${ALICE_IN_SLACK}> MESSAGING for 1h`);
    const notice = await eventually(() =>
      h.slack.messagesIn(`D${ALICE_IN_SLACK.slice(1)}`).find((m) => visibleText(m).includes('Ending soon')),
    );
    const [grant] = await h.bot!.service.activeGrants();

    await h.slack.link.click(ALICE_IN_SLACK, keyOf(notice), ACTION.extend);
    const form = await eventually(() => {
      const open = h.slack.workspace.topViewOf(ALICE_IN_SLACK);
      return open && visibleText({ blocks: open.view.blocks }).includes('Now ends') && open;
    });
    await h.slack.link.submitView(ALICE_IN_SLACK, form.id, { [FIELD.duration]: '2h' });
    const extension = await eventually(() =>
      h.approvalMessages().find((m) => visibleText(m).includes('extension request')),
    );
    expect(visibleText(extension)).toContain(`*Requested by*\n<@${ALICE_IN_SLACK}>`);
    // Holding it, she may ask; approving is someone else's.
    const own = await h.click(extension, ACTION.approve, ALICE_IN_SLACK);
    expect(visibleText(await eventually(() => h.responses(own.responseId)[0]))).toContain('You made this request');
    await h.click(extension, ACTION.approve, BOB);
    await eventually(async () => (await h.bot!.service.liveGrant(grant!.id))?.endsAt !== grant!.endsAt);
  });
});

describe('Request again', () => {
  it('opens the form filled in as a denied request was, and files it again as the clicker’s', async () => {
    h = await Harness.start();
    await type(LEAD, `grant ${ALICE} MESSAGING,VIEW_COST for 4h because quarterly report`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    await h.slack.link.click(BOB, keyOf(approval), ACTION.deny);
    const denyForm = await eventually(() => h.slack.workspace.topViewOf(BOB));
    await h.slack.link.submitView(BOB, denyForm.id, { [FIELD.reason]: 'not this week' });
    const result = await eventually(() => dmsOf(LEAD).find((m) => visibleText(m).includes('Denied by')));
    expect(buttonsOf(result)).toEqual([ACTION.requestAgain]);

    await h.slack.link.click(LEAD, keyOf(result), ACTION.requestAgain);
    const form = await eventually(() => h.slack.workspace.topViewOf(LEAD));
    expect(form.view.callback_id).toBe(VIEW.compose);
    const blocks = JSON.stringify(form.view.blocks);
    expect(blocks).toContain(`"initial_value":"${ALICE}"`);
    expect(blocks).toContain('"initial_value":"4h"');
    expect(blocks).toContain('"initial_value":"quarterly report"');
    expect(blocks).toMatch(/"initial_options":\[\{[^\]]*"VIEW_COST"[^\]]*"MESSAGING"/);

    await h.slack.link.submitView(LEAD, form.id, {
      [FIELD.kind]: 'grant',
      [FIELD.user]: ALICE,
      [FIELD.tasks]: ['MESSAGING', 'VIEW_COST'],
      [FIELD.duration]: '4h',
      [FIELD.reason]: 'quarterly report, now approved by finance',
    });
    const again = await eventually(() => h.approvalMessages()[1]);
    expect(visibleText(again)).toContain('4h from approval');
    expect(buttonsOf(again)).toEqual([ACTION.approve, ACTION.deny]);
  });

  it('comes with expired requests; a forged value opens an empty form', async () => {
    h = await Harness.start({ env: { REQUEST_TTL: '1s' }, sweepIntervalMs: 100 });
    await type(LEAD, `grant ${DAVE} MESSAGING`);
    const expired = await eventually(() => dmsOf(LEAD).find((m) => visibleText(m).includes('Expired')), 4_000);
    expect(buttonsOf(expired)).toEqual([ACTION.requestAgain]);

    const forged = await h.click(expired, ACTION.requestAgain, STRANGER, '{"k":"grant","u":"<!channel>"}');
    expect(forged.status).toBe(200);
    const opened = await eventually(() => h.slack.callsOf('views.open').at(-1));
    expect(JSON.stringify(opened.args.view)).not.toContain('initial_value');
  });

  it('comes with canceled requests on the Home tab', async () => {
    h = await Harness.start();
    await type(LEAD, `grant ${DAVE} VIEW_COST`);
    await eventually(() => h.approvalMessages().length === 1);
    await type(LEAD, 'requests');
    const list = await eventually(() => ephemeralsOf(LEAD).find((m) => buttonsOf(m).includes(ACTION.cancel)));
    await h.slack.link.click(LEAD, keyOf(list), ACTION.cancel);
    await h.slack.link.openHome(LEAD);
    const home = await eventually(() => homeOf(LEAD)?.text.includes('Canceled by') && homeOf(LEAD));
    expect(home.buttons).toEqual([ACTION.requestAgain]);
    await h.slack.link.clickHome(LEAD, ACTION.requestAgain);
    const form = await eventually(() => h.slack.workspace.topViewOf(LEAD));
    expect(JSON.stringify(form.view.blocks)).toContain(`"initial_value":"${DAVE}"`);
  });
});

describe('Home tabs kept current', () => {
  it('publishes again only for the people concerned, once per burst, and survives a failed publish', async () => {
    h = await Harness.start();
    h.slack.failNext('views.publish', 'ratelimited');
    for (let i = 0; i < 6; i++) await h.command(`grant ${DAVE} MESSAGING because burst ${i}`);
    await eventually(() => h.approvalMessages().length === 6);
    // Approvers' "waiting for you" changed: Ann, Bob, and Carol through the approvers' group.
    await eventually(() => homeOf(ANN)?.text.includes('burst') && publishesFor(CAROL) > 0, 5_000);
    await sleep(1_500);
    // Six requests, each a change for Ann and the lead: gathered, far fewer publishes (one when the burst is quick).
    expect(publishesFor(ANN)).toBeLessThan(6);
    expect(publishesFor(LEAD)).toBeLessThan(6);
    expect(publishesFor(STRANGER)).toBe(0);
    expect(h.logs.some((line) => line.includes('could not publish the Home tab again'))).toBe(true);

    const ann = publishesFor(ANN);
    const first = h.approvalMessages()[0]!;
    const reason = /burst \d/.exec(visibleText(first))![0];
    await h.click(first, ACTION.approve, BOB);
    await eventually(() => publishesFor(ANN) > ann);
    expect(homeOf(ANN)?.text).not.toContain(reason);
    expect(homeOf(ANN)?.text).toContain('burst');
    expect(homeOf(BOB)?.text).toContain('Recent activity');
    expect(homeOf(LEAD)?.text).toContain(`Approved by <@${BOB}>`);
    expect(h.slack.messagesIn(APPROVAL_CHANNEL)).toHaveLength(6);
  });
});
