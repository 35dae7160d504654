import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/sandbox.js';
import { hashOf, parseRecord } from '../../src/audit/chain.js';
import { linesOf, sortedChains } from '../../src/audit/trail.js';
import { ACTION } from '../../src/slack/ids.js';
import { AuditReceiver } from '../support/audit-receiver.js';
import { ALICE, ANN, BOB, DAVE, eventually, Harness, WABA_ID } from '../support/harness.js';

const SECRET = 'e2e-audit-webhook-secret-not-real';

let h: Harness | undefined;
let receiver: AuditReceiver | undefined;

afterEach(async () => {
  await h?.stop();
  await receiver?.down();
});

/** Files a grant and has it approved; resolves once the request is finished and told. */
async function grantAndApprove(harness: Harness, user: string, task: string, approver: string): Promise<void> {
  const before = harness.approvalMessages().length;
  await harness.command(`grant ${user} ${task}`);
  const approval = await eventually(() => harness.approvalMessages()[before]);
  await harness.click(approval, ACTION.approve, approver);
  await eventually(() => {
    const message = harness.approvalMessages()[before]!;
    return message.updates > 0 && !message.blocks.some((block) => block.type === 'actions');
  });
}

/** Every entry in the bot's store, as `chain:seq` and its text, chain by chain in order. */
async function storedEntries(harness: Harness): Promise<Array<{ id: string; text: string }>> {
  const trail = harness.bot!.store.auditTrail;
  const entries: Array<{ id: string; text: string }> = [];
  for (const chain of await sortedChains(trail)) {
    for await (const line of linesOf(trail, chain)) entries.push({ id: `${chain}:${line.seq}`, text: line.text });
  }
  return entries;
}

describe('the audit webhook, end to end', () => {
  it('gets every entry exactly once and in order through a receiver that was down, failing and slow, and two restarts', async () => {
    receiver = new AuditReceiver(await freePort(), SECRET);
    h = await Harness.start({
      env: { AUDIT_WEBHOOK_URL: receiver.url, AUDIT_WEBHOOK_SECRET: SECRET },
      auditWebhook: { pollMs: 30, minRetryMs: 30, maxRetryMs: 250, timeoutMs: 2_000 },
    });

    // The receiver is down (nothing listens): work goes on, entries wait in the store.
    await grantAndApprove(h, ALICE, 'MESSAGING', ANN);
    await eventually(() => h!.logs.some((line) => line.includes('ECONNREFUSED')));
    expect(h.logs.some((line) => line.includes('"level":50') && line.includes('audit'))).toBe(false);

    // A restart while it is still down; more work after it.
    await h.restartBot();
    await grantAndApprove(h, DAVE, 'VIEW_TEMPLATES', BOB);
    const waiting = await storedEntries(h);
    expect(waiting.length).toBeGreaterThan(8);
    expect(receiver.deliveries).toHaveLength(0);

    // It comes back answering 500 a few times, then slowly; the bot restarts again in the middle of catching up,
    // while a POST is on its way: the stop waits for its answer, so that entry is not sent twice.
    receiver.failNext = 4;
    receiver.delayMs = 30;
    await receiver.up();
    await eventually(() => receiver!.accepted().length >= 3, 10_000);
    receiver.delayMs = 500;
    await eventually(() => receiver!.inFlight > 0);
    receiver.delayMs = 30;
    await h.restartBot();
    await eventually(() => receiver!.accepted().length >= waiting.length, 15_000);
    await sleep(300);

    const stored = await storedEntries(h);
    expect(stored).toEqual(waiting);
    // Exactly once, in order: the accepted POSTs are the stored entries, each once, chain by chain.
    expect(receiver.accepted().map((delivery) => delivery.id)).toEqual(stored.map((entry) => entry.id));
    expect(receiver.accepted().map((delivery) => delivery.body)).toEqual(stored.map((entry) => entry.text));
    expect(receiver.deliveries.filter((delivery) => delivery.status === 500)).toHaveLength(4);
    for (const delivery of receiver.deliveries) {
      expect(delivery.signatureValid).toBe(true);
      expect(delivery.idempotencyKey).toBe(delivery.id);
    }
    // What arrived is the chain itself: the receiver can check every link.
    const records = receiver.accepted().map((delivery) => parseRecord(delivery.body)!);
    const account = records.filter((record) => record.chain === WABA_ID);
    for (const [index, record] of account.entries()) {
      expect(hashOf(record)).toBe(record.hash);
      if (index > 0) expect(record.prev).toBe(account[index - 1]!.hash);
    }
    expect(account.map((record) => record.event)).toEqual(
      expect.arrayContaining(['pending', 'announced', 'approved', 'executing', 'succeeded']),
    );

    // New work after the catch-up is delivered as it happens.
    await h.command(`revoke ${DAVE}`);
    const count = stored.length;
    await eventually(() => receiver!.accepted().length > count);
    expect(receiver.accepted().at(-1)?.id).toBe(`${WABA_ID}:${account.length + 1}`);
  }, 60_000);
});
