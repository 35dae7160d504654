import Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import { type HeldLock, type Locker, LockLostError } from '../../src/access/ports.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import { holding } from '../../src/store/held-locks.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { ALICE, oneAccount, RecordingNotifier, smallGraph } from '../support/service-fixture.js';

/** Grants locks as an in-process locker does, except that locks on keys `losing` picks are lost once taken. */
class LosingLocker implements Locker {
  private readonly inner = new InProcessLocker();
  constructor(private readonly losing: (key: string) => boolean) {}

  withLock<T>(key: string, fn: (lock: HeldLock) => Promise<T>, options?: { waitMs?: number }): Promise<T> {
    return this.inner.withLock(
      key,
      async () => {
        if (!this.losing(key)) return fn({ key, signal: new AbortController().signal });
        const lock = { key, signal: AbortSignal.abort(new LockLostError(key)), released: false };
        return holding(lock, () => fn(lock));
      },
      options,
    );
  }
}

let graph: FakeGraph;
let client: GraphClient;

beforeEach(async () => {
  graph = smallGraph();
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

describe('a decision whose request lock is lost', () => {
  it('is answered busy, leaves the request pending and sends nothing to Graph; a later click goes through', async () => {
    let lose = false;
    const repository = new KeyvRequestRepository(new Keyv());
    const service = new AccessService({
      repository,
      locker: new LosingLocker((key) => lose && key.startsWith('request:')),
      accounts: oneAccount(client),
      notifier: new RecordingNotifier(),
      requestTtlMs: 60 * 60_000,
    });
    const filed = await service.submit({
      kind: 'grant',
      userId: ALICE,
      tasks: ['MESSAGING'],
      requesterId: 'ULEAD',
      channelId: 'CTEAM',
    });
    if (filed.kind !== 'submitted') throw new Error('not submitted');
    const id = filed.request.id;
    const before = await repository.get(id);

    lose = true;
    expect(await service.decide({ requestId: id, actorId: 'UANN', decision: 'approve' })).toEqual({ kind: 'busy' });
    expect(await service.cancel({ requestId: id, actorId: 'ULEAD' })).toEqual({ kind: 'busy' });
    expect(await repository.get(id)).toEqual(before);
    expect((await repository.auditOf(id)).map((entry) => entry.event)).toEqual(['pending', 'announced']);
    expect(graph.writes()).toEqual([]);

    lose = false;
    expect(await service.decide({ requestId: id, actorId: 'UANN', decision: 'approve' })).toMatchObject({
      kind: 'done',
      request: { state: 'succeeded' },
    });
    expect(graph.writes()).toHaveLength(1);
  });
});
