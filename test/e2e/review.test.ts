import { afterEach, describe, expect, it } from 'vitest';
import { seededGraph } from '../../sandbox/fake-graph.js';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import { LIMITS } from '../../src/slack/limits.js';
import { chainEvents } from '../support/audit-chain.js';
import {
  ALICE,
  ANN,
  APP_SECRET,
  APPROVAL_CHANNEL,
  BOB,
  BUSINESS_ID,
  CAROL,
  DAVE,
  defaultGraph,
  eventually,
  Harness,
  LEAD,
  META_TOKEN,
  STRANGER,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { SALES_WABA, twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

/** On the WABA with MESSAGING and VIEW_TEMPLATES. */
const ERIN = '300000000000005';
/** Bob's own Meta user, on the WABA with MANAGE. */
const BOB_META = '300000000000006';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

function reviewGraph() {
  return defaultGraph()
    .assign(WABA_ID, DAVE, ['MESSAGING'])
    .addUser({ id: ERIN, name: 'Erin Example', user_type: 'BUSINESS_USER' })
    .assign(WABA_ID, ERIN, ['MESSAGING', 'VIEW_TEMPLATES'])
    .addUser({ id: BOB_META, name: 'Bob Example', user_type: 'BUSINESS_USER' })
    .assign(WABA_ID, BOB_META, ['MANAGE']);
}

const current = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
const reviews = () => h.approvalMessages().filter((m) => visibleText(m).includes('Access review:'));
const summaries = () => h.approvalMessages().filter((m) => visibleText(m).includes('Access review finished'));

/** The value of a row's buttons: the row of this Meta user. */
function rowValue(message: SlackMessage, userId: string): string {
  for (const block of current(message).blocks) {
    for (const element of (block.elements as Array<Record<string, unknown>> | undefined) ?? []) {
      if (element.action_id === ACTION.reviewKeep && String(element.value).endsWith(`:${userId}`))
        return String(element.value);
    }
  }
  throw new Error(`no open row for ${userId}`);
}

/** The text of the section block that shows this Meta user's row. */
function rowText(message: SlackMessage, userId: string): string {
  const block = current(message).blocks.find(
    (b) => b.type === 'section' && JSON.stringify(b).includes(`\`${userId}\``),
  );
  return block ? visibleText({ blocks: [block] }) : '';
}

const gets = () => h.graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith('/assigned_users'));
const personReads = () => h.graph.calls.filter((call) => call.path.endsWith('/assigned_whatsapp_business_accounts'));
const deletes = () => h.graph.calls.filter((call) => call.method === 'DELETE' && call.status === 200);

/** Clicks a row's button and returns the private answer (if any) the click got. */
async function clickRow(message: SlackMessage, action: string, userId: string, as: string) {
  return h.click(current(message), action, as, rowValue(message, userId));
}

async function privateAnswer(responseId: string): Promise<string> {
  return visibleText(await eventually(() => h.responses(responseId)[0]));
}

describe('access reviews, end to end', () => {
  it('takes a review to completion: Keep, Remove and Make temporary, each once, then a summary', async () => {
    h = await Harness.start({ graph: reviewGraph(), env: { MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 100 });
    expect(await h.answer(`link <@${BOB}> ${BOB_META}`, ANN)).toContain('is now Meta business user');
    // The link asked Meta whether the user exists; count the review's own reads from here.
    const linkReads = personReads().length;

    // Only the account's approvers and admins start one.
    expect(await h.answer('review', STRANGER)).toContain('Only the account’s approvers and admins');
    expect(await h.answer('review', LEAD)).toContain('Only the account’s approvers and admins');
    expect(await h.answer('review now', ANN)).toContain('takes only an account');
    expect(reviews()).toEqual([]);
    expect(gets()).toHaveLength(0);

    const started = await h.answer('review', ANN);
    expect(started).toContain('Started the access review of *default*: 4 people on 1 page');
    const review = await eventually(() => reviews()[0]);
    // One roster read for four people: one page of assigned_users.
    expect(gets()).toHaveLength(1);
    expect(visibleText(review)).toContain('*0 of 4 reviewed*');
    for (const user of [ALICE, DAVE, ERIN, BOB_META]) expect(rowText(review, user)).toContain(user);
    expect(rowText(review, ERIN)).toContain('`VIEW_TEMPLATES`, `MESSAGING`');

    // One open review per account: asking again points to it.
    expect(await h.answer('review', BOB)).toContain('is already open');
    expect(reviews()).toHaveLength(1);

    // Strangers and the person on the row are refused privately; nothing changes.
    const stranger = await clickRow(review, ACTION.reviewKeep, ALICE, STRANGER);
    expect(await privateAnswer(stranger.responseId)).toContain('Only the account’s approvers review access');
    const own = await clickRow(review, ACTION.reviewRemove, BOB_META, BOB);
    expect(await privateAnswer(own.responseId)).toContain('your own access');
    expect(visibleText(current(review))).toContain('*0 of 4 reviewed*');

    // Keep: recorded, shown in place with who and when.
    await clickRow(review, ACTION.reviewKeep, BOB_META, ANN);
    await eventually(() => rowText(review, BOB_META).includes(`Kept — <@${ANN}> <!date^`));
    expect(visibleText(current(review))).toContain('*1 of 4 reviewed*');

    // Remove, clicked by both approvers at once, several times: one fresh read of the person, one DELETE.
    const value = rowValue(review, ALICE);
    const clicks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => h.click(current(review), ACTION.reviewRemove, i % 2 ? ANN : BOB, value)),
    );
    await eventually(() => rowText(review, ALICE).includes('Removed from the account'));
    await h.bot!.service.drain();
    expect(deletes()).toHaveLength(1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toBeUndefined();
    expect(personReads().length - linkReads).toBe(1);
    const refused = await Promise.all(
      clicks.map((click) => eventually(() => h.responses(click.responseId)[0], 1_000).catch(() => undefined)),
    );
    expect(refused.filter(Boolean).length).toBe(5);
    expect(refused.filter(Boolean).every((answer) => visibleText(answer!).includes('reviewed already'))).toBe(true);

    // Make temporary: a form for until when, checked in the form, then a temporary grant ending in removal.
    const form = await h.clickForm(current(review), ACTION.reviewTemporary, ANN, (view) =>
      visibleText(view).includes('Between'),
    );
    const metadata = String(form.view.private_metadata);
    expect(form.view.callback_id).toBe(VIEW.reviewTemporary);
    const bad = await h.submitView(VIEW.reviewTemporary, ANN, metadata, { until: { until: { value: 'soon' } } });
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { until: 'Use a duration such as 30d, 2w or 12h, or a date such as 2026-06-30.' },
    });
    const tooLong = await h.submitView(VIEW.reviewTemporary, ANN, metadata, { until: { until: { value: '90d' } } });
    expect(JSON.stringify(tooLong.json)).toContain('longer than this account allows (30d at most)');
    // Whichever row the form opened for is in its metadata; here, the first open row in name order: Dave.
    expect(metadata).toContain(DAVE);
    await h.submitView(VIEW.reviewTemporary, ANN, metadata, { until: { until: { value: '2s' } } });
    await eventually(() => rowText(review, DAVE).includes('then removed'));
    // Kept as is: no write, one fresh read.
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);
    expect(personReads().length - linkReads).toBe(2);
    expect(deletes()).toHaveLength(1);
    expect(await h.answer('active')).toContain(DAVE);

    // The last row: the review closes and its summary is posted once.
    await clickRow(review, ACTION.reviewKeep, ERIN, BOB);
    const summary = await eventually(() => summaries()[0]);
    expect(visibleText(summary)).toContain('Kept: 2 · removed: 1 · made temporary: 1.');
    expect(visibleText(summary)).toContain(`*Alice Example* \`${ALICE}\``);
    expect(visibleText(current(review))).toContain('*4 of 4 reviewed*');
    expect(visibleText(current(review))).toContain('finished');
    expect(buttonsOf(current(review)).filter((id) => id !== ACTION.reviewPage)).toEqual([]);
    // No Graph call beyond the roster read, two person reads and one DELETE so far.
    expect(gets()).toHaveLength(1);

    // The review's message is where its decisions show: no request notices in the channel or the reviewers' DMs.
    const notices = [APPROVAL_CHANNEL, `D${ANN.slice(1)}`, `D${BOB.slice(1)}`]
      .flatMap((channel) => h.slack.messagesIn(channel))
      .filter((m) => visibleText(m).includes('Access request'));
    expect(notices).toEqual([]);

    // The temporary access ends like any temporary grant: Dave is removed, and the reviewer is told.
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE) === undefined, 6_000);
    expect(deletes()).toHaveLength(2);
    await eventually(() =>
      h.slack.messagesIn(`D${ANN.slice(1)}`).some((m) => visibleText(m).includes('Temporary `MESSAGING` ended')),
    );

    // A new review may start now; the summary stays the only one.
    await h.bot!.service.drain();
    expect(summaries()).toHaveLength(1);
    const audit = (await h.bot!.store.reviews.auditOf(reviewIdOf(review))).map((entry) => entry.event);
    expect(audit[0]).toBe('review-started');
    expect(audit.at(-1)).toBe('review-closed');
    expect(audit.toSorted()).toEqual([
      'review-closed',
      'review-started',
      'row-decided',
      'row-decided',
      'row-decided',
      'row-decided',
      'row-settled',
      'row-settled',
    ]);
    // The same steps are in the account's audit chain, which still holds.
    const chained = (await chainEvents(h.bot!.store, WABA_ID)).filter((event) => event.startsWith('review-'));
    expect(chained.toSorted()).toEqual(
      audit.map((event) => (event.startsWith('review-') ? event : `review-${event}`)).toSorted(),
    );
  });

  it('pages a large roster, ten people a message page, with Previous and Next updating the message in place', async () => {
    const graph = seededGraph({
      accessToken: META_TOKEN,
      appSecret: APP_SECRET,
      wabaId: WABA_ID,
      businessId: BUSINESS_ID,
      userCount: 250,
    });
    h = await Harness.start({ graph });
    expect(await h.answer('review', ANN)).toContain('250 people on 25 pages of up to 10');
    // ⌈250/100⌉ pages of assigned_users.
    expect(gets()).toHaveLength(3);
    const review = await eventually(() => reviews()[0]);
    expect(review.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(visibleText(review)).toContain('People 1–10 of 250 · page 1 of 25');
    expect(buttonsOf(review).filter((id) => id === ACTION.reviewKeep)).toHaveLength(10);

    await h.click(review, ACTION.reviewPage, ANN, `${reviewIdOf(review)}:1`);
    await eventually(() => visibleText(current(review)).includes('People 11–20 of 250 · page 2 of 25'));
    await clickRow(review, ACTION.reviewKeep, rowUsers(current(review))[0]!, ANN);
    await eventually(() => visibleText(current(review)).includes('*1 of 250 reviewed*'));
    expect(visibleText(current(review))).toContain('page 2 of 25');
    await h.click(current(review), ACTION.reviewPage, ANN, `${reviewIdOf(review)}:0`);
    await eventually(() => visibleText(current(review)).includes('People 1–10 of 250'));
    expect(gets()).toHaveLength(3);
  });

  it('works from the approvers’ DMs when there is no approval channel, survives a restart, and reminds once', async () => {
    h = await Harness.start({
      graph: reviewGraph(),
      env: { APPROVAL_CHANNEL_ID: '', REMIND_AFTER: '1s' },
      sweepIntervalMs: 100,
    });
    expect(await h.answer('review', BOB)).toContain('to each approver by DM');
    const dms = [ANN, BOB, CAROL].map((user) => `D${user.slice(1)}`);
    const copies = await eventually(() => {
      const found = dms.map((dm) => h.slack.messagesIn(dm).find((m) => visibleText(m).includes('Access review:')));
      return found.every(Boolean) && (found as SlackMessage[]);
    });

    await h.restartBot();
    expect(await h.answer('review', ANN)).toContain('is already open');
    await clickRow(copies[1]!, ACTION.reviewKeep, ALICE, BOB);
    // Every approver's copy shows the decision.
    for (const copy of copies) await eventually(() => rowText(copy, ALICE).includes(`Kept — <@${BOB}>`));

    // Open for longer than REMIND_AFTER: each approver is reminded once, with where to find it.
    for (const dm of dms) {
      await eventually(() => h.slack.messagesIn(dm).some((m) => visibleText(m).includes('is still open')), 4_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const dm of dms) {
      const reminders = h.slack.messagesIn(dm).filter((m) => visibleText(m).includes('is still open'));
      expect(reminders).toHaveLength(1);
      expect(visibleText(reminders[0]!)).toContain('*1 of 4 reviewed*');
    }
  });

  it('starts a review on its own with REVIEW_EVERY, once, and points people to it', async () => {
    h = await Harness.start({ graph: reviewGraph(), env: { REVIEW_EVERY: '90d' }, sweepIntervalMs: 100 });
    const review = await eventually(() => reviews()[0]);
    expect(visibleText(review)).toContain('started by the schedule');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reviews()).toHaveLength(1);
    expect(gets()).toHaveLength(1);
    expect(await h.answer('review', ANN)).toContain('started by the schedule');
  });

  it('lets an account’s admin start a review there but only its approvers decide, and refuses other accounts’ people', async () => {
    const graph = withSalesWaba(reviewGraph()).assign(SALES_WABA, ERIN, ['MESSAGING']);
    const policy = twoAccountPolicy({
      admins: [ANN],
      support: { approvers: [ANN, BOB] },
      sales: { approvers: [BOB], admins: [LEAD], approval_channel: 'CSALES' },
    });
    h = await Harness.startWithPolicy(policy, { graph });
    expect(await h.answer('review on sales', STRANGER)).toContain('Ask one of them:');
    expect(await h.answer('review on support', LEAD)).toContain('Only the account’s approvers and admins');
    expect(await h.answer('review on nowhere', LEAD)).toContain('nowhere');
    expect(await h.answer('review on sales', LEAD)).toContain('Started the access review of *sales*: 1 person');
    const review = await eventually(() => h.slack.messagesIn('CSALES')[0]);
    expect(h.approvalMessages()).toEqual([]);

    const lead = await clickRow(review, ACTION.reviewKeep, ERIN, LEAD);
    expect(await privateAnswer(lead.responseId)).toContain(`The approvers are <@${BOB}>`);
    const ann = await clickRow(review, ACTION.reviewKeep, ERIN, ANN);
    expect(await privateAnswer(ann.responseId)).toContain('Only the account’s approvers review access');
    await clickRow(review, ACTION.reviewKeep, ERIN, BOB);
    await eventually(() => h.slack.messagesIn('CSALES').some((m) => visibleText(m).includes('Access review finished')));
    // The other account's review is unaffected, and may be started by its own approver.
    expect(await h.answer('review', ANN)).toContain('Started the access review of *support*');
  });

  it('answers forged and stale buttons and forms with what was wrong, changing nothing', async () => {
    const graph = reviewGraph().addUser({
      id: '300000000000009',
      name: '<!channel> *Mallory*',
      user_type: 'BUSINESS_USER',
    });
    graph.assign(WABA_ID, '300000000000009', ['MESSAGING']);
    h = await Harness.start({ graph });
    await h.answer('review', ANN);
    const review = await eventually(() => reviews()[0]);
    // Meta's text is shown as text: no broadcast.
    expect(JSON.stringify(review.blocks)).not.toContain('<!channel>');
    expect(visibleText(review)).toContain('&lt;!channel&gt;');

    const junk = await h.click(review, ACTION.reviewKeep, ANN, 'junk');
    expect(await privateAnswer(junk.responseId)).toContain('does not belong to a review I know');
    const unknown = await h.click(review, ACTION.reviewRemove, ANN, `nope0:0:0:${ALICE}`);
    expect(await privateAnswer(unknown.responseId)).toContain('can’t find this review');
    const moved = await h.click(review, ACTION.reviewRemove, ANN, rowValue(review, ALICE).replace(/:\d+$/, `:${DAVE}`));
    expect(await privateAnswer(moved.responseId)).toContain('no longer matches the review');
    const page = await h.click(review, ACTION.reviewPage, ANN, `${reviewIdOf(review)}:99`);
    expect(await privateAnswer(page.responseId)).toContain('does not belong to a review I know');

    const form = await h.submitView(VIEW.reviewTemporary, ANN, 'junk', { until: { until: { value: '2d' } } });
    expect(form.json).toEqual({
      response_action: 'errors',
      errors: { until: expect.stringContaining('does not belong to a review I know') },
    });
    const past = await h.submitView(VIEW.reviewTemporary, ANN, rowValue(review, ALICE), {
      until: { until: { value: '2020-01-01' } },
    });
    expect(JSON.stringify(past.json)).toContain('That day has passed');
    const stranger = await h.clickForm(current(review), ACTION.reviewTemporary, STRANGER);
    expect(visibleText(stranger.view)).toContain('Only the account’s approvers review access');

    await h.bot!.service.drain();
    expect(h.graph.writes()).toEqual([]);
    expect(visibleText(current(review))).toContain('*0 of 5 reviewed*');
  });
});

/** The review id a message's page buttons or rows carry. */
function reviewIdOf(message: SlackMessage): string {
  return /review `([^`]+)`/.exec(visibleText(message))![1]!;
}

/** The Meta users of the open rows a message shows, in order. */
function rowUsers(message: SlackMessage): string[] {
  const users: string[] = [];
  for (const block of message.blocks) {
    for (const element of (block.elements as Array<Record<string, unknown>> | undefined) ?? []) {
      if (element.action_id === ACTION.reviewKeep) users.push(String(element.value).split(':').at(-1)!);
    }
  }
  return users;
}
