import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { DIGEST_ROWS_PER_PAGE } from '../../src/slack/blocks/drift.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import { chainEvents } from '../support/audit-chain.js';
import {
  ALICE,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  BUSINESS_ID,
  buttonValue,
  DAVE,
  eventually,
  Harness,
  LEAD,
  STRANGER,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

/** Known to Meta; on the WABA when the bot first reads it, then removed in Business Manager. */
const ERIN = '300000000000003';
/** Known to Meta; added in Business Manager. */
const FRANK = '300000000000004';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const current = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
const digests = () => h.approvalMessages().filter((m) => (m.text ?? '').includes('made outside the bot'));
const account = () => h.bot!.accounts.default;
const rosterReads = (from: number) =>
  h.graph.calls.slice(from).filter((call) => call.method === 'GET' && call.path.endsWith('/assigned_users'));

/** The value of a row's button, for the row about `userId`. */
function rowValue(message: SlackMessage, userId: string, actionId = ACTION.driftAccept): string {
  const blocks = message.blocks;
  const index = blocks.findIndex((block) => JSON.stringify(block).includes(`\`${userId}\``));
  const buttons = blocks[index + 1] as { elements?: Array<{ action_id: string; value: string }> };
  const button = buttons.elements?.find((element) => element.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} for ${userId}`);
  return button.value;
}

/** The text of the digest row about `userId`: the change and what was done about it. */
function rowText(message: SlackMessage, userId: string): string {
  const index = message.blocks.findIndex((block) => JSON.stringify(block).includes(`\`${userId}\``));
  return visibleText({ blocks: message.blocks.slice(index, index + 2) });
}

async function privateAnswer(sent: { responseId: string }): Promise<string> {
  return visibleText(await eventually(() => h.responses(sent.responseId)[0]));
}

async function start(env: Record<string, string> = {}) {
  h = await Harness.start({ env: { MIN_GRANT_DURATION: '1s', ...env }, sweepIntervalMs: 100 });
  h.graph
    .addUser({ id: ERIN, name: 'Erin Example', user_type: 'BUSINESS_USER' })
    .addUser({ id: FRANK, name: 'Frank Example', user_type: 'BUSINESS_USER' })
    .assign(WABA_ID, ERIN, ['MESSAGING']);
}

describe('drift: changes made outside the bot', () => {
  it('reports an addition, a removal and a task change once, and approvers Accept, Revert and Make temporary', async () => {
    await start();
    // Bob is Dave at Meta: he may not decide what happens to Dave's access.
    expect(await h.answer(`link <@${BOB}> ${DAVE}`, ANN)).toContain('is now Meta business user');
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', baseline: true, changes: 0 });
    expect(digests()).toEqual([]);

    // Business Manager: Dave and Frank added, Erin removed, Alice's tasks changed.
    h.graph.assign(WABA_ID, DAVE, ['MESSAGING']);
    h.graph.assign(WABA_ID, FRANK, ['VIEW_TEMPLATES']);
    h.graph.unassign(WABA_ID, ERIN);
    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'VIEW_COST']);
    const before = h.graph.calls.length;
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', changes: 4 });
    expect(rosterReads(before)).toHaveLength(1);
    expect(h.graph.calls.length - before).toBe(1);
    const digest = await eventually(() => digests()[0]);
    const text = visibleText(digest);
    expect(text).toContain('Changes outside the bot on default');
    expect(rowText(digest, DAVE)).toMatch(/\*Dave Example\* .*was \*added\* outside the bot, with `MESSAGING`/);
    expect(rowText(digest, DAVE)).toContain(`<@${BOB}>`);
    expect(rowText(digest, ERIN)).toContain('was *removed* outside the bot; the bot expected `MESSAGING`');
    expect(rowText(digest, ALICE)).toContain('`MANAGE` → `MANAGE`, `VIEW_COST` (added `VIEW_COST`)');
    // A removal gave nothing to keep for a while.
    expect(
      buttonsOf({
        blocks: digest.blocks.slice(digest.blocks.findIndex((b) => JSON.stringify(b).includes(ERIN))),
      }).slice(0, 2),
    ).toEqual([ACTION.driftAccept, ACTION.driftRevert]);

    // Reported once: checking again, and after a restart, posts nothing more.
    await h.bot!.drift.checkNow(account());
    await h.restartBot();
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', changes: 0 });
    expect(digests()).toHaveLength(1);

    // Dave's own Slack account, and someone who is not an approver, are refused privately; nothing changes.
    const own = await h.click(digest, ACTION.driftRevert, BOB, rowValue(digest, DAVE));
    expect(await privateAnswer(own)).toContain('This change is to your own access');
    const stranger = await h.click(digest, ACTION.driftAccept, STRANGER, rowValue(digest, FRANK));
    expect(await privateAnswer(stranger)).toContain('Only the account’s approvers');
    expect(h.graph.writes()).toEqual([]);

    // Revert the addition: one fresh read of Dave, one DELETE.
    const reverting = h.graph.calls.length;
    await h.click(digest, ACTION.driftRevert, ANN, rowValue(digest, DAVE));
    await eventually(() => rowText(current(digest), DAVE).includes('Reverted by'));
    expect(rowText(current(digest), DAVE)).toMatch(
      new RegExp(`Reverted by <@${ANN}> <!date\\^\\d+\\^.*back to _no access_`),
    );
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toBeUndefined();
    expect(h.graph.calls.slice(reverting).map((c) => `${c.method} ${c.path.split('/').pop()}`)).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'DELETE assigned_users',
    ]);

    // Accept Frank, clicked by two approvers at once: one acts, the other is told; no Graph call at all.
    const accepting = h.graph.calls.length;
    const [first, second] = await Promise.all([
      h.click(digest, ACTION.driftAccept, ANN, rowValue(digest, FRANK)),
      h.click(digest, ACTION.driftAccept, BOB, rowValue(digest, FRANK)),
    ]);
    await eventually(() => rowText(current(digest), FRANK).includes('Accepted by'));
    await h.bot!.drift.drain();
    const answers = [...h.responses(first.responseId), ...h.responses(second.responseId)].map(visibleText);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatch(/already dealt with this change|acting on this change right now/);
    expect(h.graph.calls.length).toBe(accepting);
    expect(h.graph.tasksOf(WABA_ID, FRANK)).toEqual(['VIEW_TEMPLATES']);

    // Accept Erin's removal: the bot now expects her gone.
    await h.click(digest, ACTION.driftAccept, BOB, rowValue(digest, ERIN));
    await eventually(() => rowText(current(digest), ERIN).includes(`Accepted by <@${BOB}>`));

    // Make Alice's extra task temporary: the form asks how long; a bad time is answered in the form.
    const opened = await h.clickForm(digest, ACTION.driftTemporary, ANN, (view) =>
      visibleText(view).includes('At most'),
    );
    const view = opened.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.driftTemporary);
    expect(visibleText(opened.view)).toContain('Keeps `VIEW_COST` until then, then puts back `MANAGE`');
    const bad = await h.submitView(VIEW.driftTemporary, ANN, view.private_metadata, {
      duration: { duration: { value: 'tomorrow' } },
    });
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { duration: 'Use a number and a unit: 30m, 4h, 2d.' },
    });
    await h.submitView(VIEW.driftTemporary, ANN, view.private_metadata, { duration: { duration: { value: '2s' } } });
    await eventually(() => rowText(current(digest), ALICE).includes('Made temporary by'));
    expect(rowText(current(digest), ALICE)).toContain('keeps `VIEW_COST` until');
    expect(buttonsOf(current(digest))).toEqual([]);
    // It ends like any temporary grant: Alice goes back to what the bot expected.
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE', 8_000);
    await eventually(() => h.approvalMessages().some((m) => visibleText(m).includes('Temporary `VIEW_COST` ended')));

    // The bot's own writes (the revert, the end of the temporary grant) are not drift.
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', changes: 0 });
    expect(digests()).toHaveLength(1);

    // Everything is in the digest's audit trail.
    const audit = await h.bot!.drift.digestAudit(rowValue(digest, DAVE, ACTION.driftAccept).split(':')[0]!);
    expect(audit.map((entry) => entry.event)).toEqual(
      expect.arrayContaining(['reported', 'posted', 'claimed', 'reverted', 'accepted', 'made-temporary']),
    );

    // History: what Dave and Alice held, and who changed it.
    const dave = await h.answer(`history ${DAVE}`, LEAD);
    expect(dave).toContain('found changed outside the bot: _no access_ → `MESSAGING`');
    expect(dave).toContain(`<@${ANN}> reverted it to _no access_`);
    expect(dave).toContain('the bot removed them from the account');
    const alice = await h.answer(`history ${ALICE}`, LEAD);
    expect(alice).toContain('(the first day kept): `MANAGE`');
    expect(alice).toContain('found changed outside the bot: `MANAGE` → `MANAGE`, `VIEW_COST`');
    expect(alice).toContain(`<@${ANN}> made it temporary until`);
    expect(alice).toMatch(new RegExp(`the bot set \`MANAGE\` \\(request \`[0-9a-f]+\`: decided by <@${ANN}>`));
    expect(alice).toContain('*Now:* `MANAGE`');

    // Who had access today: everyone seen today, Dave and Erin no longer by the last read.
    const today = await h.answer('who today', LEAD);
    expect(today).toContain('4 people');
    expect(today).toMatch(
      new RegExp(`Dave Example\\* \`${DAVE}\` · \`MESSAGING\` · _no longer by the day’s last read_`),
    );
    expect(today).toMatch(new RegExp(`Erin Example\\* \`${ERIN}\` · \`MESSAGING\` · _no longer`));
    expect(today).toMatch(new RegExp(`Alice Example\\* \`${ALICE}\` · \`MANAGE\`, \`VIEW_COST\`$`, 'm'));
    expect(await h.answer('who yesterday', LEAD)).toContain('its history starts');
    expect(await h.answer('who 2026-02-30', LEAD)).toContain('is not a day of the calendar');
    expect(await h.answer('who soon', LEAD)).toContain('is not a date I understand');
    expect(await h.answer('who 2999-01-01', LEAD)).toContain('has not happened yet');

    // The reports and what approvers did about them are in the account's audit chain, which still holds.
    const chained = await chainEvents(h.bot!.store, WABA_ID);
    expect(chained).toEqual(expect.arrayContaining(['drift-reported', 'drift-accepted', 'drift-reverted']));
  }, 30_000);

  it('reports a temporary grant ended outside the bot: Revert (clicked twice) puts it back once, Accept ends the grant', async () => {
    await start();
    await h.bot!.drift.checkNow(account());
    await h.command(`grant ${ALICE} MESSAGING for 1h`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE,MESSAGING');
    await h.bot!.service.drain();
    // The bot's own grant is no drift.
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ changes: 0 });

    h.graph.assign(WABA_ID, ALICE, ['MANAGE']);
    await h.bot!.drift.checkNow(account());
    const first = await eventually(() => digests()[0]);
    expect(rowText(first, ALICE)).toMatch(
      /temporary access\* \(request `[0-9a-f]+`\) was ended outside the bot: `MANAGE`, `MESSAGING` → `MANAGE`/,
    );
    expect(buttonsOf(first)).toEqual([ACTION.driftAccept, ACTION.driftRevert]);

    const from = h.graph.calls.length;
    await Promise.all([
      h.click(first, ACTION.driftRevert, ANN, rowValue(first, ALICE)),
      h.click(first, ACTION.driftRevert, BOB, rowValue(first, ALICE)),
    ]);
    await eventually(() => rowText(current(first), ALICE).includes('Reverted by'));
    await h.bot!.drift.drain();
    expect(h.graph.calls.slice(from).filter((call) => call.method === 'POST')).toHaveLength(1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    expect(await h.bot!.service.activeGrants()).toHaveLength(1);

    // Ended outside once more; this time an approver accepts it: the grant ends, and its approval message says so.
    h.graph.assign(WABA_ID, ALICE, ['MANAGE']);
    await h.bot!.drift.checkNow(account());
    const second = await eventually(() => digests()[1]);
    await h.click(second, ACTION.driftAccept, BOB, rowValue(second, ALICE));
    await eventually(() => rowText(current(second), ALICE).includes('Accepted by'));
    expect(await h.bot!.service.activeGrants()).toEqual([]);
    await eventually(() => visibleText(current(approval)).includes('was ended outside the bot'));
    expect(visibleText(current(approval))).toContain(`<@${BOB}> accepted that`);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE']);
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ changes: 0 });
  });

  it('refuses Revert of a grant ended outside the bot to the approver who asked for that grant', async () => {
    await start();
    await h.bot!.drift.checkNow(account());
    // Ann, an approver, asks for Alice's temporary access; Bob approves it.
    await h.command(`grant ${ALICE} MESSAGING for 1h`, ANN);
    const approval = await eventually(() => h.approvalMessages()[0]);
    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE,MESSAGING');
    await h.bot!.service.drain();

    h.graph.assign(WABA_ID, ALICE, ['MANAGE']);
    await h.bot!.drift.checkNow(account());
    const digest = await eventually(() => digests()[0]);
    const writes = h.graph.writes().length;
    const own = await h.click(digest, ACTION.driftRevert, ANN, rowValue(digest, ALICE));
    expect(await privateAnswer(own)).toContain('You asked for the temporary access this change ended');
    expect(h.graph.writes()).toHaveLength(writes);
    expect(rowText(current(digest), ALICE)).not.toContain('Reverted by');

    await h.click(digest, ACTION.driftRevert, BOB, rowValue(digest, ALICE));
    await eventually(() => rowText(current(digest), ALICE).includes(`Reverted by <@${BOB}>`));
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
  });

  it('costs one roster read of ⌈N/100⌉ pages per check, shared with /waba list, and pages a long digest', async () => {
    await start();
    const many = Array.from({ length: 250 }, (_, i) => String(400_000_000_000_000 + i));
    for (const id of many) h.graph.addUser({ id, name: `Agent ${id.slice(-3)}`, user_type: 'BUSINESS_USER' });
    for (const id of many.slice(0, 220)) h.graph.assign(WABA_ID, id, ['MESSAGING']);

    let from = h.graph.calls.length;
    await h.bot!.drift.checkNow(account());
    // 222 people: three pages of 100, and nothing else.
    expect(h.graph.calls.length - from).toBe(3);
    expect(rosterReads(from)).toHaveLength(3);

    // A list right after a check is served by the check's read.
    from = h.graph.calls.length;
    expect(await h.answer('list', LEAD)).toContain('of 222 users');
    expect(h.graph.calls.length).toBe(from);

    for (const id of many.slice(220)) h.graph.assign(WABA_ID, id, ['MESSAGING']);
    from = h.graph.calls.length;
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ changes: 30 });
    expect(h.graph.calls.length - from).toBe(3);

    const digest = await eventually(() => digests()[0]);
    expect(digest.blocks.length).toBeLessThanOrEqual(50);
    expect(visibleText(digest)).toContain(`page 1 of 2`);
    expect(buttonsOf(digest).filter((id) => id === ACTION.driftAccept)).toHaveLength(DIGEST_ROWS_PER_PAGE);
    await h.click(digest, ACTION.driftPage, ANN, buttonValue(digest, ACTION.driftPage));
    const second = await eventually(() => visibleText(current(digest)).includes('page 2 of 2') && current(digest));
    expect(buttonsOf(second).filter((id) => id === ACTION.driftAccept)).toHaveLength(30 - DIGEST_ROWS_PER_PAGE);
    // Acting on a row of page 2 keeps the message on page 2.
    await h.click(second, ACTION.driftAccept, ANN, rowValue(second, many[249]!));
    await eventually(() => rowText(current(digest), many[249]!).includes('Accepted by'));
    expect(visibleText(current(digest))).toContain('page 2 of 2');
  }, 30_000);

  it('puts a check off while Meta’s usage is high, without calling Meta', async () => {
    await start();
    // Meta reports 80 % of the account's budget used on the first check's read.
    h.graph.extraHeaders = usage(80);
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', baseline: true });
    h.graph.assign(WABA_ID, FRANK, ['MESSAGING']);
    const from = h.graph.calls.length;
    const outcome = await h.bot!.drift.checkNow(account());
    expect(outcome.kind).toBe('skipped');
    expect(h.graph.calls.length).toBe(from);
    expect(digests()).toEqual([]);
    const schedule = await h.bot!.store.drift.schedule(WABA_ID);
    expect(schedule?.skipped?.why).toBe('usage-high');
    expect(schedule?.nextAt).toBeGreaterThan(Date.now());

    // Once Meta reports lower usage (here on a person's read), the check goes ahead.
    h.graph.extraHeaders = usage(10);
    await h.answer(`accounts ${ALICE}`, LEAD);
    expect(await h.bot!.drift.checkNow(account())).toMatchObject({ kind: 'checked', changes: 1 });
    await eventually(() => digests()[0]);
  });

  it('checks on its own every interval, once, and reports a change once', async () => {
    h = await Harness.start({ driftCheckEveryMs: 300 });
    await eventually(async () => (await h.bot!.store.drift.snapshot(WABA_ID)) !== undefined);
    h.graph.assign(WABA_ID, DAVE, ['MESSAGING']);
    const digest = await eventually(() => digests()[0], 5_000);
    expect(visibleText(digest)).toContain(DAVE);
    const from = h.graph.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(digests()).toHaveLength(1);
    // Each check is one read of this small roster; at most one per interval.
    expect(rosterReads(from).length).toBeGreaterThanOrEqual(2);
    expect(rosterReads(from).length).toBeLessThanOrEqual(5);
    expect(h.slack.messagesIn(APPROVAL_CHANNEL)).toHaveLength(1);
  });
});

/** Meta's usage header for the test business, at `percent` of its calls. */
function usage(percent: number): Record<string, string> {
  return {
    'x-business-use-case-usage': JSON.stringify({
      [BUSINESS_ID]: [{ type: 'whatsapp_business_management', call_count: percent, total_cputime: 1, total_time: 1 }],
    }),
  };
}
