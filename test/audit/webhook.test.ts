import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/sandbox.js';
import { hashOf, parseRecord } from '../../src/audit/chain.js';
import { linesOf, sortedChains } from '../../src/audit/trail.js';
import { AuditWebhook, type AuditWebhookOptions } from '../../src/audit/webhook.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { AuditReceiver } from '../support/audit-receiver.js';
import { eventually } from '../support/harness.js';

const SECRET = 'webhook-test-secret-0123456789';
const FAST = { pollMs: 20, minRetryMs: 20, maxRetryMs: 160, timeoutMs: 1_000 };

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.stop();
});

async function receiver(): Promise<AuditReceiver> {
  const made = new AuditReceiver(await freePort(), SECRET);
  running.push({ stop: () => made.down() });
  return made;
}

function webhook(store: Store, url: string, options: Partial<AuditWebhookOptions> = {}): AuditWebhook {
  const made = new AuditWebhook({
    url,
    secret: SECRET,
    trail: store.auditTrail,
    state: store.auditState,
    locker: store.locker,
    ...FAST,
    ...options,
  });
  running.push(made);
  made.start();
  return made;
}

async function append(store: Store, count: number, chain = '1000000000001'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.auditTrail.append(chain, {
      at: new Date().toISOString(),
      actor: 'UANN',
      event: 'approved',
      detail: `n${i}`,
    });
  }
}

/** A logger that keeps each line (a warning with its fields), and each warning's fields. */
function recordingLogger() {
  const lines: string[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const logger = {
    info: (_: object, msg: string) => lines.push(msg),
    warn: (obj: Record<string, unknown>, msg: string) => {
      warnings.push(obj);
      lines.push(`${msg} ${JSON.stringify(obj)}`);
    },
    error: (_: object, msg: string) => lines.push(msg),
  };
  return { logger, lines, warnings };
}

/** Every entry of the trail as `chain:seq`, chain by chain in order. */
async function trailIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (const chain of await sortedChains(store.auditTrail)) {
    for await (const line of linesOf(store.auditTrail, chain)) ids.push(`${chain}:${line.seq}`);
  }
  return ids;
}

describe('the audit webhook', () => {
  it('POSTs each entry as stored, signed, with its id as idempotency key, in order', async () => {
    const store = await openStore('memory://');
    const target = await receiver();
    await target.up();
    await append(store, 3);
    await append(store, 2, 'global');
    webhook(store, target.url);
    await eventually(() => target.accepted().length === 5);
    await sleep(100);
    expect(target.deliveries.map((delivery) => delivery.id)).toEqual([
      'global:1',
      'global:2',
      '1000000000001:1',
      '1000000000001:2',
      '1000000000001:3',
    ]);
    const stored: string[] = [];
    for await (const line of linesOf(store.auditTrail, 'global')) stored.push(line.text);
    expect(target.deliveries[1]!.body).toBe(stored[1]);
    for (const delivery of target.deliveries) {
      expect(delivery.signatureValid).toBe(true);
      expect(delivery.idempotencyKey).toBe(delivery.id);
      expect(Math.abs(Number(delivery.timestamp) - Date.now() / 1000)).toBeLessThan(60);
      const record = parseRecord(delivery.body)!;
      expect(hashOf(record)).toBe(record.hash);
    }
    // New entries follow as they are written.
    await append(store, 1);
    await eventually(() => target.accepted().at(-1)?.id === '1000000000001:4');
    expect(target.deliveries).toHaveLength(6);
  });

  it('backs off, doubling up to its cap, while the receiver answers 500, then delivers everything once', async () => {
    const store = await openStore('memory://');
    const target = await receiver();
    await target.up();
    target.failNext = 7;
    await append(store, 3);
    const { logger, warnings } = recordingLogger();
    const started = Date.now();
    webhook(store, target.url, { minRetryMs: 40, maxRetryMs: 200, logger });
    await eventually(() => target.accepted().length === 3, 10_000);
    const ids = target.deliveries.map((delivery) => delivery.id);
    expect(ids.slice(0, 8)).toEqual(Array(8).fill('1000000000001:1'));
    // 40, 80, 160, then 200 (the cap) for each further failure, each ±20 %.
    const planned = [40, 80, 160, 200, 200, 200, 200];
    const waits = warnings.map((warning) => warning.retryInMs as number);
    expect(waits).toHaveLength(planned.length);
    for (const [i, wait] of waits.entries()) {
      expect(wait, `wait ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(planned[i]! * 0.8));
      expect(wait, `wait ${i + 1}`).toBeLessThanOrEqual(Math.ceil(planned[i]! * 1.2));
    }
    // And it did wait them: at least 0.8 × 880 ms in all.
    expect(Date.now() - started).toBeGreaterThan(700);
    expect(target.accepted().map((delivery) => delivery.id)).toEqual([
      '1000000000001:1',
      '1000000000001:2',
      '1000000000001:3',
    ]);
  });

  it('weathers a receiver that refuses connections, or answers too late, and never throws', async () => {
    const store = await openStore('memory://');
    const target = await receiver();
    await append(store, 2);
    const { logger, lines: logs } = recordingLogger();
    webhook(store, target.url, { timeoutMs: 150, logger });
    await eventually(() => logs.some((line) => line.includes('ECONNREFUSED')));
    await target.up();
    target.delayMs = 400;
    await eventually(() => logs.some((line) => line.includes('"why":"TimeoutError"')), 5_000);
    target.delayMs = 0;
    await eventually(() => new Set(target.accepted().map((delivery) => delivery.id)).size === 2, 5_000);
    // The receiver did take the slow one, whose answer the bot never saw: it came again, with the same key.
    const first = await eventually(() => {
      const copies = target.accepted().filter((delivery) => delivery.id === '1000000000001:1');
      return copies.length >= 2 && copies;
    });
    expect(new Set(first.map((copy) => `${copy.idempotencyKey} ${copy.body}`)).size).toBe(1);
    expect(logs).toContain('audit webhook: the receiver answers again');
    expect(logs.some((line) => line.includes(target.url))).toBe(false);
  });

  it('goes on from its cursor after a restart: nothing twice, nothing lost', async () => {
    const store = await openStore('memory://');
    const target = await receiver();
    await target.up();
    target.delayMs = 30;
    await append(store, 10);
    const first = webhook(store, target.url);
    await eventually(() => target.accepted().length >= 3);
    await first.stop();
    await append(store, 2);
    webhook(store, target.url);
    await eventually(() => target.accepted().length === 12, 10_000);
    await sleep(100);
    expect(target.deliveries.map((delivery) => delivery.id)).toEqual(await trailIds(store));
  });

  it('starts a new address from the first entry', async () => {
    const store = await openStore('memory://');
    const one = await receiver();
    const two = await receiver();
    await one.up();
    await two.up();
    await append(store, 2);
    const first = webhook(store, one.url);
    await eventually(() => one.accepted().length === 2);
    await first.stop();
    webhook(store, two.url);
    await eventually(() => two.accepted().length === 2);
  });
});

describe.runIf(process.env.REDIS_URL)('the audit webhook with two replicas on Redis', () => {
  it('delivers through one of them at a time: each entry once, in order', async () => {
    const namespace = `webhook-${Math.random().toString(36).slice(2, 10)}`;
    const one = await openStore(process.env.REDIS_URL!, { namespace });
    const two = await openStore(process.env.REDIS_URL!, { namespace });
    running.push({ stop: () => one.close() }, { stop: () => two.close() });
    const target = await receiver();
    await target.up();
    target.delayMs = 5;
    webhook(one, target.url);
    webhook(two, target.url);
    await Promise.all([append(one, 15), append(two, 15, 'global')]);
    await eventually(() => target.accepted().length === 30, 10_000);
    await sleep(200);
    expect(target.deliveries.map((delivery) => delivery.id).sort()).toEqual((await trailIds(one)).sort());
    const chainOrder = target.deliveries.filter((delivery) => delivery.id.startsWith('global:')).map((d) => d.id);
    expect(chainOrder).toEqual(Array.from({ length: 15 }, (_, i) => `global:${i + 1}`));
  });
});
