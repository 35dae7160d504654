import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGraph, type Fault, graphError } from '../../sandbox/fake-graph.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { seededRandom } from '../support/random.js';
import { oneAccount, quietNotifier } from '../support/service-fixture.js';

/** Approvals in CI; `npm run bench` runs 500. */
const APPROVALS = Number(process.env.FAULT_APPROVALS ?? 120);
const HOLD_MS = 100;
const WABA = '1000000000001';
const BUSINESS = '2000000000001';

/** One in five calls fails: a 5xx, a business-use-case throttle, a timeout or a reset, in equal shares. */
function randomFaults(random: () => number): () => Fault | undefined {
  return () => {
    if (random() >= 0.2) return undefined;
    switch (Math.floor(random() * 4)) {
      case 0:
        return {
          status: 503,
          body: graphError(2, 'Service temporarily unavailable', 'OAuthException', undefined, { is_transient: true }),
        };
      case 1:
        return {
          status: 400,
          body: graphError(
            80008,
            'There have been too many calls to this WhatsApp Business account.',
            'OAuthException',
            2_494_049,
          ),
          headers: {
            'retry-after': '0.05',
            'x-business-use-case-usage': JSON.stringify({
              [BUSINESS]: [
                {
                  type: 'whatsapp_business_management',
                  call_count: 100,
                  total_cputime: 5,
                  total_time: 5,
                  estimated_time_to_regain_access: 0,
                },
              ],
            }),
          },
        };
      case 2:
        return { delayMs: 400 };
      default:
        return { reset: true };
    }
  };
}

describe(`Graph under faults (${APPROVALS} approvals, 20 % of calls failing)`, () => {
  const graph = new FakeGraph({ accessToken: 't' }).addWaba({ id: WABA, name: 'Support', businessId: BUSINESS });
  const users = Array.from({ length: APPROVALS }, (_, i) => String(400_000_000_000_000 + i));
  for (const id of users) graph.addUser({ id, name: `User ${id}`, user_type: 'BUSINESS_USER' });
  let client: GraphClient;
  let service: AccessService;
  let repository: KeyvRequestRepository;

  beforeAll(async () => {
    await graph.start();
    client = new GraphClient({
      baseUrl: graph.url,
      accessToken: 't',
      timeoutMs: 150,
      usageHoldMs: HOLD_MS,
      retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxTotalMs: 5_000 },
      random: seededRandom(7),
    });
    const locker = new InProcessLocker();
    repository = new KeyvRequestRepository(new Keyv());
    service = new AccessService({
      repository,
      locker,
      accounts: oneAccount(client, { approverIds: ['UANN'] }, { rosterCacheMs: 0 }),
      notifier: quietNotifier,
      requestTtlMs: 3_600_000,
    });
  });

  afterAll(async () => {
    await client.close();
    await graph.stop();
  });

  it('ends every approval succeeded or failed with a reason, and sends nothing while locked out', {
    timeout: 180_000,
  }, async () => {
    const ids: string[] = [];
    for (const user of users) {
      const result = await service.submit({
        kind: 'grant',
        userId: user,
        tasks: ['MESSAGING'],
        requesterId: 'ULEAD',
        channelId: 'C',
      });
      if (result.kind !== 'submitted') throw new Error(result.kind);
      ids.push(result.request.id);
    }
    const firstFaulty = graph.calls.length;
    graph.faultPlan = randomFaults(seededRandom(2026));
    for (const id of ids) await service.decide({ requestId: id, actorId: 'UANN', decision: 'approve' });

    const requests = await Promise.all(ids.map((id) => repository.get(id)));
    const succeeded = requests.filter((request) => request?.state === 'succeeded');
    const failed = requests.filter((request) => request?.state === 'failed');
    expect(succeeded.length + failed.length).toBe(APPROVALS);
    for (const request of succeeded) expect(graph.tasksOf(WABA, request!.targetUserId)).toEqual(['MESSAGING']);
    for (const request of failed) {
      if (request?.state !== 'failed') continue;
      expect(request.error.message.length).toBeGreaterThan(10);
      expect(['transient', 'throttled', 'unknown']).toContain(request.error.category);
    }
    expect(await repository.openIds()).toEqual([]);

    // After each throttle, nothing reached Graph until the hold was over.
    const calls = graph.calls.slice(firstFaulty).sort((a, b) => a.arrivedAt - b.arrivedAt);
    const throttles = calls.filter(
      (call) => call.status === 400 && (call.response as { error?: { code?: number } })?.error?.code === 80008,
    );
    expect(throttles.length).toBeGreaterThan(3);
    for (const throttle of throttles) {
      const next = calls.find((call) => call.arrivedAt > throttle.answeredAt!);
      if (next) expect(next.arrivedAt - throttle.answeredAt!).toBeGreaterThanOrEqual(HOLD_MS - 1);
    }
    const faults = calls.filter((call) => call.status !== 200).length;
    console.info(
      `graph faults: ${APPROVALS} approvals, ${calls.length} calls, ${faults} faulty (${throttles.length} throttles), ` +
        `${succeeded.length} succeeded, ${failed.length} failed with a reason`,
    );
  });
});
