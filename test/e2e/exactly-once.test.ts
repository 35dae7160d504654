import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, BOB, CAROL, eventually, Harness, STRANGER, WABA_ID } from '../support/harness.js';

const redisUrl = process.env.REDIS_URL;
const stores: Array<[string, Record<string, string> | undefined]> = [['SQLite', undefined]];
if (redisUrl) stores.push(['Redis', { STORE_URL: redisUrl }]);

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

describe.each(stores)('exactly once (%s store)', (_name, env) => {
  it('turns 25 concurrent approve clicks into one Graph write and one decision', async () => {
    h = await Harness.start(env ? { env } : {});
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    const approvers = [ANN, BOB, CAROL];
    const clicks = await Promise.all(
      Array.from({ length: 25 }, (_, i) => h.click(approval!, ACTION.approve, approvers[i % approvers.length]!)),
    );
    expect(clicks.every((click) => click.status === 200)).toBe(true);

    const updated = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    await h.bot!.service.drain();
    expect(h.graph.writes()).toHaveLength(1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);

    // Every other click was told why nothing happened.
    const answered = await eventually(() => {
      const count = clicks.filter((click) => h.responses(click.responseId).length > 0).length;
      return count === 24 && count;
    });
    expect(answered).toBe(24);
    const requestId = String(updated.text).match(/Request (\w+)/)?.[1] ?? '';
    const audit = await h.bot!.service.auditOf(requestId);
    expect(audit.filter((entry) => entry.event === 'approved')).toHaveLength(1);
    expect(audit.filter((entry) => entry.event === 'succeeded')).toHaveLength(1);
  });

  it('answers a click whose value names no request, and writes nothing', async () => {
    h = await Harness.start(env ? { env } : {});
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    const forged = await h.click(approval!, ACTION.approve, STRANGER, 'does-not-exist');
    expect(JSON.stringify(await eventually(() => h.responses(forged.responseId)[0]))).toContain(
      'can’t find this request',
    );
    expect(h.graph.writes()).toEqual([]);
  });
});
