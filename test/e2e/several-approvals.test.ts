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
