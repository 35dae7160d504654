import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../sandbox/fake-graph.js';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, DAVE, defaultGraph, eventually, Harness, WABA_ID } from '../support/harness.js';
import { visibleText } from '../support/message-text.js';

/** A WABA of 1,000 people besides the cast: paging its roster would cost 10 calls a read. */
function largeGraph() {
  const graph = defaultGraph();
  for (let i = 0; i < 1_000; i++) {
    const id = String(700_000_000_000_000 + i);
    graph.addUser({ id, name: `Person ${i}`, user_type: 'BUSINESS_USER' }).assign(WABA_ID, id, ['MESSAGING']);
  }
  return graph;
}

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** The Graph calls made while `run` runs (and the work it starts settles), as "METHOD edge". */
async function callsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const from = h.graph.calls.length;
  await run();
  await h.bot!.service.drain();
  return h.graph.calls.slice(from).map((call: RecordedCall) => `${call.method} ${call.path.split('/').pop()}`);
}

describe('Graph calls per decision, on a WABA of 1,000 people', () => {
  it('files with one read of the person, approves with one read and one write, and pages no roster', async () => {
    h = await Harness.start({ graph: largeGraph() });
    const filing = await callsDuring(async () => {
      await h.command(`grant ${DAVE} MESSAGING because on call`);
      await eventually(() => h.approvalMessages()[0]);
    });
    expect(filing).toEqual(['GET assigned_whatsapp_business_accounts']);

    const approving = await callsDuring(async () => {
      await h.click(h.approvalMessages()[0]!, ACTION.approve, ANN);
      await eventually(() => h.graph.writes().length === 1);
    });
    expect(approving).toEqual(['GET assigned_whatsapp_business_accounts', 'POST assigned_users']);

    const revoking = await callsDuring(async () => {
      await h.command(`revoke ${ALICE} because left`);
      const approval = await eventually(() => h.approvalMessages()[1]);
      await h.click(approval, ACTION.approve, ANN);
      await eventually(() => h.graph.writes().length === 2);
    });
    expect(revoking).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'GET assigned_whatsapp_business_accounts',
      'DELETE assigned_users',
    ]);
  });

  it('ends a temporary grant with one read and one write', async () => {
    h = await Harness.start({ graph: largeGraph(), env: { MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 100 });
    await h.command(`grant ${DAVE} MESSAGING for 1s because on call`);
    await h.click(await eventually(() => h.approvalMessages()[0]), ACTION.approve, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE)?.join() === 'MESSAGING');
    const from = h.graph.calls.length;
    await eventually(() => visibleText(h.approvalMessages()[0]!).includes('ended'), 6_000);
    await h.bot!.service.drain();
    const calls = h.graph.calls.slice(from).map((call) => `${call.method} ${call.path.split('/').pop()}`);
    expect(calls).toEqual(['GET assigned_whatsapp_business_accounts', 'DELETE assigned_users']);
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toBeUndefined();
  });
});
