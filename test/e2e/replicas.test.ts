import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTrail } from '../../src/audit/verify.js';
import { openStore } from '../../src/store/open-store.js';
import { Cluster, userOf } from '../support/cluster.js';
import { eventually } from '../support/harness.js';

const redisUrl = process.env.REDIS_URL;
/** Rounds in CI; `npm run bench` runs 50. */
const ROUNDS = Number(process.env.REPLICA_ROUNDS ?? 10);

describe.skipIf(!redisUrl)('two replicas sharing Redis', () => {
  const users = Array.from({ length: ROUNDS }, (_, i) => String(500_000_000_000_000 + i));
  const namespace = `replicas-${Date.now()}`;
  const cluster = new Cluster(users, { STORE_URL: redisUrl ?? '', STORE_NAMESPACE: namespace });

  beforeAll(async () => {
    await cluster.start();
    await Promise.all([cluster.startBot('a'), cluster.startBot('b')]);
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it(`turn 25 approve clicks split across both into one Graph write, ${ROUNDS} times over`, {
    timeout: 300_000,
  }, async () => {
    for (const [round, user] of users.entries()) {
      const [asker, other] = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      expect((await cluster.command(asker, `grant ${user} MESSAGING`)).status).toBe(200);
      const approval = await eventually(
        () => cluster.approvalMessages().find((message) => userOf(message) === user),
        10_000,
      );
      const approvers = ['UANN', 'UBOB', 'UCAROL'];
      const clicks = await Promise.all(
        Array.from({ length: 25 }, (_, i) => cluster.approve(i % 2 === 0 ? other : asker, approval, approvers[i % 3]!)),
      );
      expect(clicks.every((click) => click.status === 200)).toBe(true);
      await eventually(() => cluster.slack.messages.get(`${approval.channel}:${approval.ts}`)!.updates > 0, 10_000);
      expect(cluster.grantsTo(user)).toHaveLength(1);
    }
    // Late work, if any, would show up as extra writes by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const user of users) expect(cluster.grantsTo(user)).toHaveLength(1);
    // Both replicas wrote the account's audit chain at once; it holds, one entry after another.
    const store = await openStore(redisUrl!, { namespace });
    const reports = await verifyTrail(store.auditTrail);
    await store.close();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.broken).toBeUndefined();
    expect(reports[0]!.count).toBeGreaterThanOrEqual(ROUNDS * 5);
  });
});
