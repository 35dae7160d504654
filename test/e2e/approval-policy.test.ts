import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { ANN, BOB, DAVE, eventually, Harness, WABA_ID } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

describe('a request that needs two approvals', () => {
  it('shows progress, refuses a second click by the same approver, and writes once when the second approver approves', async () => {
    h = await Harness.start({ env: { APPROVALS_REQUIRED: '1, FULL_CONTROL=2' } });
    await h.command(`grant ${DAVE} FULL_CONTROL because incident on-call`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    expect(visibleText(approval)).toContain('Needs 2 approvals from different approvers; none yet.');

    const first = await h.click(approval, ACTION.approve, ANN);
    expect(visibleText(await eventually(() => h.responses(first.responseId)[0]))).toContain(
      `Your approval is recorded. 1 of 2: approved by <@${ANN}>. Needs 1 more.`,
    );
    const progressed = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    expect(visibleText(progressed)).toContain(`1 of 2: approved by <@${ANN}>`);
    expect(buttonsOf(progressed)).toEqual([ACTION.approve, ACTION.deny]);

    const again = await h.click(progressed, ACTION.approve, ANN);
    expect(visibleText(await eventually(() => h.responses(again.responseId)[0]))).toContain(
      'You have already approved this request',
    );
    expect(h.graph.writes()).toEqual([]);

    await h.click(progressed, ACTION.approve, BOB);
    const done = await eventually(() => {
      const message = h.approvalMessages()[0]!;
      return visibleText(message).includes('Done:') && message;
    });
    expect(visibleText(done)).toContain(`Approved by <@${ANN}> and <@${BOB}>`);
    expect(buttonsOf(done)).toEqual([]);
    expect(h.graph.writes()).toHaveLength(1);
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toEqual(['FULL_CONTROL']);
  });
});

describe('reminders', () => {
  it('DM each approver who has not decided, once, with a link to the request', async () => {
    h = await Harness.start({
      env: { REMIND_AFTER: '1s', APPROVALS_REQUIRED: '2' },
      sweepIntervalMs: 200,
    });
    await h.command(`grant ${DAVE} MESSAGING`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    await h.click(approval, ACTION.approve, ANN);

    const reminder = await eventually(() => h.slack.messagesIn(`D${BOB.slice(1)}`)[0], 5_000);
    expect(visibleText(reminder)).toContain('Still waiting for a decision');
    expect(visibleText(reminder)).toContain(`1 of 2: approved by <@${ANN}>`);
    expect(visibleText(reminder)).toMatch(
      new RegExp(`<http://127\\.0\\.0\\.1:\\d+/archives/${approval.channel}/p\\d+\\|Open the request>`),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(h.slack.messagesIn(`D${BOB.slice(1)}`)).toHaveLength(1);
    expect(h.slack.messagesIn(`D${ANN.slice(1)}`)).toEqual([]);
  });
});
