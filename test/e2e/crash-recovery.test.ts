import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/request.js';
import { parseRecord } from '../../src/audit/chain.js';
import { linesOf } from '../../src/audit/trail.js';
import { verifyTrail } from '../../src/audit/verify.js';
import { openStore } from '../../src/store/open-store.js';
import { Cluster, requestIdOf, userOf } from '../support/cluster.js';
import { eventually } from '../support/harness.js';
import { seededRandom } from '../support/random.js';

/** Approvals in CI; `npm run bench` runs the same. */
const APPROVALS = Number(process.env.CRASH_APPROVALS ?? 200);
const KILLS = Number(process.env.CRASH_KILLS ?? 4);

const redisUrl = process.env.REDIS_URL;
const stores: Array<[string, () => Record<string, string>]> = [
  ['SQLite', () => ({ STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-crash-')), 'store.sqlite')}` })],
];
if (redisUrl) stores.push(['Redis', () => ({ STORE_URL: redisUrl, STORE_NAMESPACE: `crash-${Date.now()}` })]);

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Runs `work` on every item with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

describe.each(stores)('kill -9 during approvals (%s store)', (name, storeEnv) => {
  it(`ends all ${APPROVALS} requests succeeded, or failed with a notice: none lost, none granted twice`, {
    timeout: 300_000,
  }, async () => {
    const users = Array.from({ length: APPROVALS }, (_, i) => String(600_000_000_000_000 + i));
    const env = storeEnv();
    cluster = new Cluster(users, env);
    await cluster.start();
    const c = cluster;
    await c.startBot('bot');

    await pool(users, 20, async (user) => {
      const reply = await c.command('bot', `grant ${user} MESSAGING`);
      expect(reply.status).toBe(200);
    });
    const approvals = await eventually(() => c.approvalMessages().length === APPROVALS && c.approvalMessages(), 60_000);

    // Approvers click while the process is killed at random moments and started again.
    const random = seededRandom(name.length * 1_000 + APPROVALS);
    let kills = 0;
    let down = false;
    const killer = (async () => {
      for (let i = 0; i < KILLS; i++) {
        await sleep(50 + random() * 400);
        down = true;
        await c.bot('bot').kill();
        kills++;
        await sleep(50);
        await c.startBot('bot');
        down = false;
      }
    })();
    let retries = 0;
    const clickUntilAnswered = async (message: (typeof approvals)[number]) => {
      for (;;) {
        const reply = down ? undefined : await c.approve('bot', message, 'UANN').catch(() => undefined);
        if (reply?.status === 200) return;
        retries++;
        await sleep(100);
      }
    };
    await pool(approvals, 10, clickUntilAnswered);
    await killer;

    // A click acknowledged just before a kill may have changed nothing; like a person, click again on those.
    const store = await openStore(env.STORE_URL!, { namespace: env.STORE_NAMESPACE ?? 'waba-access' });
    const stateOf = async () =>
      Promise.all(approvals.map(async (message) => (await store.repository.get(requestIdOf(message)))!));
    const reclicked = new Set<string>();
    const all = await eventually(async () => {
      const requests = await stateOf();
      const pending = approvals.filter((_, i) => requests[i]?.state === 'pending');
      for (const message of pending) reclicked.add(message.ts);
      await pool(pending, 10, clickUntilAnswered);
      if (requests.every((request) => request.state === 'succeeded' || request.state === 'failed')) return requests;
      await sleep(500);
      return undefined;
    }, 90_000);
    // Every entry a request's own log holds is in the account's hash chain once, and the chain holds: a kill in the
    // middle of a write left both or neither.
    const [chain, ...others] = await verifyTrail(store.auditTrail);
    expect(others).toEqual([]);
    expect(chain?.broken).toBeUndefined();
    const chained: string[] = [];
    for await (const line of linesOf(store.auditTrail, chain!.chain)) {
      const record = parseRecord(line.text)!;
      chained.push(`${record.requestId} ${record.event} ${record.at}`);
    }
    const logged = (
      await Promise.all(
        all.map(async (request) =>
          (await store.repository.auditOf(request.id)).map((e) => `${e.requestId} ${e.event} ${e.at}`),
        ),
      )
    ).flat();
    expect(chained.sort()).toEqual(logged.sort());
    await store.close();

    const succeeded = all.filter((request) => request.state === 'succeeded');
    const failed = all.filter(
      (request): request is Extract<AccessRequest, { state: 'failed' }> => request.state === 'failed',
    );
    for (const request of failed) expect(request.error.message.length).toBeGreaterThan(10);
    for (const user of users) {
      expect(cluster.grantsTo(user).length, `grants to ${user}`).toBeLessThanOrEqual(1);
    }
    for (const request of succeeded)
      expect(cluster.graph.tasksOf('1000000000001', request.targetUserId)).toEqual(['MESSAGING']);
    expect(new Set(approvals.map(userOf)).size).toBe(APPROVALS);
    console.info(
      `crash recovery (${name}): ${APPROVALS} approvals, ${kills} kill -9, ${retries} clicks retried while down, ` +
        `${reclicked.size} clicked again, ${succeeded.length} succeeded, ${failed.length} failed with a notice, 0 lost, 0 granted twice`,
    );
  });
});
