import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { breakGlassTrail } from '../../src/access/use-cases/break-glass.js';
import { ACTION, FIELD } from '../../src/slack/ids.js';
import {
  ALICE,
  ANN,
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

/** The lead is on call: listed for break-glass, for two tasks, an hour at most. */
const ON_CALL = { BREAK_GLASS_IDS: LEAD, BREAK_GLASS_TASKS: 'MESSAGING, VIEW_COST', BREAK_GLASS_MAX: '1h' };

const dmsOf = (userId: string) => h.slack.messagesIn(`D${userId.slice(1)}`);
const keyOf = (message: { channel: string; ts: string }) => `${message.channel}:${message.ts}`;
const fresh = (message: SlackMessage) => h.slack.messages.get(keyOf(message))!;
const isAnnouncement = (message: SlackMessage) => visibleText(message).includes('Break-glass access');
const requestIdOf = (message: SlackMessage) =>
  String(message.blocks.find((block) => block.type === 'actions')?.block_id ?? '').split(':')[1] ?? '';

async function clickReply(message: SlackMessage, actionId: string, userId: string, value?: string) {
  const click = await h.click(message, actionId, userId, value);
  return visibleText(await eventually(() => h.responses(click.responseId)[0]));
}

describe('break-glass', () => {
  it('is carried out at once, loudly, with one read and one write, and reviewed by another approver', async () => {
    h = await Harness.start({ env: ON_CALL });
    const reply = await h.answer(`grant ${ALICE} MESSAGING for 30m emergency because checkout down at 3am`);
    expect(reply).toContain('Break-glass carried out, without approval');
    expect(reply).toMatch(/has `MESSAGING` \(now `MANAGE`, `MESSAGING`\) until <!date\^\d+\^/);
    expect(reply).toContain('one of them (not you) will review it');
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    expect(h.graph.calls.map((call) => `${call.method} ${call.path.split('/').at(-1)}`)).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'POST assigned_users',
    ]);

    // Where the approvers decide, and in each approver's DMs (the group's members too), but not the user's.
    const announcement = await eventually(() => h.approvalMessages().find(isAnnouncement));
    expect(visibleText(announcement)).toContain('checkout down at 3am');
    expect(visibleText(announcement)).toContain(`*Used by*\n<@${LEAD}>`);
    const reviewButtons = [ACTION.breakGlassLooksRight, ACTION.breakGlassRevoke];
    await eventually(() => buttonsOf(fresh(announcement)).join() === reviewButtons.join());
    for (const approver of [ANN, BOB, CAROL]) {
      const dm = await eventually(() => dmsOf(approver).find(isAnnouncement));
      await eventually(() => buttonsOf(fresh(dm)).join() === reviewButtons.join());
    }
    expect(dmsOf(LEAD).filter(isAnnouncement)).toEqual([]);
    const requestId = requestIdOf(fresh(announcement));
    const request = await h.bot!.service.get(requestId);
    expect(request).toMatchObject({ state: 'succeeded', emergency: {}, requesterId: LEAD, decisions: [] });
    expect(request!.approvalMessages).toHaveLength(4);

    // Not by the person who used it; by another approver, once.
    expect(await clickReply(fresh(announcement), ACTION.breakGlassLooksRight, LEAD)).toContain(
      'You used this break-glass access',
    );
    expect(await clickReply(fresh(announcement), ACTION.breakGlassLooksRight, STRANGER)).toContain('Only approvers');
    await h.click(fresh(announcement), ACTION.breakGlassLooksRight, BOB);
    const reviewed = await eventually(
      () => visibleText(fresh(announcement)).includes('Reviewed by') && fresh(announcement),
    );
    expect(visibleText(reviewed)).toContain(`Reviewed by <@${BOB}>`);
    expect(visibleText(reviewed)).toContain('looks right');
    expect(buttonsOf(reviewed)).toEqual([ACTION.extend, ACTION.revokeNow]);
    const dm = await eventually(() => dmsOf(ANN).find(isAnnouncement));
    await eventually(() => visibleText(fresh(dm)).includes(`Reviewed by <@${BOB}>`));
    // A second review, from a copy whose buttons were already redrawn (a stale screen): the first stands.
    expect(await clickReply(fresh(dm), ACTION.breakGlassRevoke, ANN, requestId)).toContain('reviewed already');
    await eventually(() => dmsOf(LEAD).find((m) => visibleText(m).includes('Your break-glass use')));
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);

    const events = (await h.bot!.service.auditOf(requestId)).map((entry) => `${entry.event} ${entry.actor}`);
    expect(events).toEqual(
      expect.arrayContaining([
        `approved ${LEAD}`,
        'announced system',
        'succeeded system',
        `break-glass-reviewed ${BOB}`,
      ]),
    );
  });

  it('refuses anyone not listed, other tasks, longer, and no reason: clearly, changing nothing, audited', async () => {
    h = await Harness.start({ env: ON_CALL });
    const cases: Array<[string, string, RegExp]> = [
      [
        STRANGER,
        `grant ${ALICE} MESSAGING emergency because outage`,
        /can’t use break-glass on \*default\*.*Only <@ULEAD> may/s,
      ],
      [
        LEAD,
        `grant ${ALICE} FULL_CONTROL emergency because outage`,
        /FULL_CONTROL can’t be given by break-glass.*VIEW_COST, MESSAGING/s,
      ],
      [
        LEAD,
        `grant ${ALICE} MESSAGING for 2h emergency because outage`,
        /2h is longer than break-glass access may last \(1h\).*for 1h/s,
      ],
      [LEAD, `grant ${ALICE} MESSAGING for permanent emergency because outage`, /Break-glass access always ends/],
      [LEAD, `grant ${ALICE} MESSAGING emergency`, /Break-glass needs a reason.*emergency because &lt;reason&gt;/s],
    ];
    for (const [who, text, said] of cases) expect(await h.answer(text, who)).toMatch(said);
    await h.bot!.service.drain();
    expect(h.graph.calls).toEqual([]);
    expect(h.slack.messages.size).toBe(0);
    expect(await h.bot!.service.activeGrants()).toEqual([]);
    const trail = await h.bot!.service.auditOf(breakGlassTrail(new Date()));
    expect(trail.map((entry) => entry.actor)).toEqual([STRANGER, LEAD, LEAD, LEAD, LEAD]);
    expect(h.logs.filter((line) => line.includes('break-glass refused'))).toHaveLength(5);
  });

  it('with Revoke now on review, puts back what the user had; an emergency grant also ends on its own', async () => {
    h = await Harness.start({ env: { ...ON_CALL, MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 100 });
    await h.answer(`grant ${ALICE} VIEW_COST emergency because reports broken`);
    const announcement = await eventually(() => h.approvalMessages().find(isAnnouncement));
    expect(visibleText(announcement)).toContain('1h, then back to what the user had before');
    await eventually(() => buttonsOf(fresh(announcement)).includes(ACTION.breakGlassRevoke));
    await h.click(fresh(announcement), ACTION.breakGlassRevoke, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
    const revoked = await eventually(
      () => visibleText(fresh(announcement)).includes('access revoked') && fresh(announcement),
    );
    expect(visibleText(revoked)).toContain(`by <@${ANN}> on reviewing the break-glass use`);
    expect(buttonsOf(revoked)).toEqual([]);

    // The person with no access before is removed when a short emergency grant runs out.
    await h.answer(`grant ${DAVE} MESSAGING for 1s emergency because hotfix`);
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE) === undefined, 5_000);
  });

  it('can be asked for from the form with the Emergency box, whose mistakes show beside the fields', async () => {
    h = await Harness.start({ env: ON_CALL });
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', '');
    const form = await eventually(() => h.slack.workspace.topViewOf(LEAD));
    expect(buttonsOf({ blocks: form.view.blocks })).toEqual([]);
    expect(JSON.stringify(form.view.blocks)).toContain(`"block_id":"${FIELD.emergency}"`);

    const inputs = {
      [FIELD.kind]: 'grant',
      [FIELD.user]: ALICE,
      [FIELD.tasks]: ['MANAGE'],
      [FIELD.duration]: '3h',
      [FIELD.emergency]: ['emergency'],
    };
    await h.slack.link.submitView(LEAD, form.id, inputs);
    expect(form.errors).toEqual({
      [FIELD.tasks]: 'Break-glass on default gives only VIEW_COST, MESSAGING.',
      [FIELD.duration]: 'Break-glass lasts at most 1h.',
      [FIELD.reason]: 'Break-glass needs a reason.',
    });
    expect(h.graph.calls).toEqual([]);

    await h.slack.link.submitView(LEAD, form.id, {
      ...inputs,
      [FIELD.tasks]: ['MESSAGING'],
      [FIELD.duration]: '45m',
      [FIELD.reason]: 'payments webhook failing',
    });
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE,MESSAGING');
    const grant = await eventually(async () => (await h.bot!.service.activeGrants())[0]);
    expect(new Date(grant.endsAt).getTime() - new Date(grant.startsAt).getTime()).toBe(45 * 60_000);
    const carried = await eventually(() =>
      h.slack.workspace.visibleIn(TEAM_CHANNEL, LEAD).find((m) => visibleText(m).includes('Break-glass carried out')),
    );
    expect(carried.visibleTo).toBe(LEAD);
    await eventually(() => h.approvalMessages().find(isAnnouncement));

    // Someone not listed who ticks the box hears why after sending, and nothing happens.
    await h.slack.link.command(STRANGER, TEAM_CHANNEL, '/waba', '');
    const theirs = await eventually(() => h.slack.workspace.topViewOf(STRANGER));
    await h.slack.link.submitView(STRANGER, theirs.id, {
      ...inputs,
      [FIELD.tasks]: ['VIEW_COST'],
      [FIELD.duration]: '',
      [FIELD.reason]: 'please',
    });
    const refused = await eventually(() =>
      h.slack.workspace.visibleIn(TEAM_CHANNEL, STRANGER).find((m) => visibleText(m).includes('can’t use break-glass')),
    );
    expect(refused.visibleTo).toBe(STRANGER);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
  });

  it('reminds the approvers who may review it, once, when nobody has', async () => {
    h = await Harness.start({ env: { ...ON_CALL, REMIND_AFTER: '1s' }, sweepIntervalMs: 100 });
    await h.answer(`grant ${ALICE} MESSAGING emergency because outage`);
    const reminders = (userId: string) => dmsOf(userId).filter((m) => visibleText(m).includes('Not reviewed yet'));
    const reminder = await eventually(() => reminders(ANN)[0], 5_000);
    expect(visibleText(reminder)).toMatch(/<https?:\/\/[^|>]+\|Open it>/);
    await eventually(() => reminders(BOB).length === 1 && reminders(CAROL).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([ANN, BOB, CAROL].map((who) => reminders(who).length)).toEqual([1, 1, 1]);
    expect(reminders(LEAD)).toEqual([]);
  });
});
