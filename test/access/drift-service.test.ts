import { afterEach, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import type { Accounts } from '../../src/access/accounts.js';
import type { DriftDigest } from '../../src/access/drift.js';
import { DriftJournal } from '../../src/access/drift-journal.js';
import type { DriftNotifier } from '../../src/access/drift-ports.js';
import { DriftService } from '../../src/access/drift-service.js';
import type { MessageRef } from '../../src/access/request.js';
import { GraphClient } from '../../src/graph/client.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { ALICE, DAVE, oneAccount, RecordingNotifier, smallGraph, WABA } from '../support/service-fixture.js';

const DAY_MS = 86_400_000;

/** Remembers what would be posted and redrawn in Slack. */
class RecordingDriftNotifier implements DriftNotifier {
  posted: DriftDigest[] = [];
  updated: DriftDigest[] = [];

  async post(digest: DriftDigest): Promise<MessageRef[]> {
    this.posted.push(digest);
    return [{ channel: 'CAPPROVALS', ts: `${this.posted.length}.0` }];
  }

  async update(digest: DriftDigest): Promise<void> {
    this.updated.push(digest);
  }
}

interface Bot {
  store: Store;
  accounts: Accounts;
  drift: DriftService;
  notifier: RecordingDriftNotifier;
  client: GraphClient;
}

let graph: FakeGraph;
const bots: Bot[] = [];
let now = Date.parse('2026-11-01T10:00:00Z');

afterEach(async () => {
  for (const bot of bots.splice(0)) {
    await bot.client.close();
    await bot.store.close();
  }
  await graph?.stop();
});

/** One process: its store connection, Graph client, accounts (with the write journal) and drift service. */
async function bot(storeUrl = 'memory://', options: { historyDays?: number; namespace?: string } = {}): Promise<Bot> {
  const store = await openStore(storeUrl, { namespace: options.namespace ?? 'drift-test' });
  const client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { maxAttempts: 1 }, now: () => now });
  const accounts = oneAccount(client, {}, { now: () => now, writeJournal: new DriftJournal(store.drift, clock) });
  const notifier = new RecordingDriftNotifier();
  const drift = new DriftService({
    store: store.drift,
    accounts,
    repository: store.repository,
    locker: store.locker,
    notifier,
    requestNotifier: new RecordingNotifier(),
    intervalMs: 3_600_000,
    historyDays: options.historyDays ?? 400,
    clock,
  });
  const made = { store, accounts, drift, notifier, client };
  bots.push(made);
  return made;
}

const clock = { now: () => new Date(now) };
const rosterCalls = () => graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith('/assigned_users'));

async function fakeGraph(): Promise<void> {
  graph = smallGraph();
  await graph.start();
}

describe('drift checks over time', () => {
  it('keeps one day per day for HISTORY_DAYS, freeing rosters only dropped days used, and answers who and history', async () => {
    await fakeGraph();
    const { drift, store, accounts } = await bot('memory://', { historyDays: 3 });
    const account = accounts.default;
    const days: string[] = [];
    for (let day = 0; day < 5; day++) {
      graph.assign(WABA, DAVE, [day % 2 === 0 ? 'MESSAGING' : 'VIEW_COST']);
      await drift.checkNow(account);
      days.push(new Date(now).toISOString().slice(0, 10));
      now += DAY_MS;
    }
    now -= DAY_MS;
    const kept = await store.drift.days(WABA);
    expect(kept.map((record) => record.day)).toEqual(days.slice(2));
    // Days 0 and 2 had the same roster as day 4: that one roster is still stored; day 1's is gone.
    expect(await store.drift.roster(WABA, kept[0]!.end)).toBeDefined();
    const who = await drift.whoOn(account, days[3]!);
    expect(who).toMatchObject({ kind: 'day', carried: false });
    if (who.kind === 'day')
      expect(who.held.find((user) => user.id === DAVE)?.tasks).toEqual(['VIEW_COST', 'MESSAGING']);
    expect(await drift.whoOn(account, days[1]!)).toMatchObject({ kind: 'before-history', first: days[2] });

    const history = await drift.historyOf(account, DAVE);
    expect(history.start).toEqual({ day: days[2], tasks: ['MESSAGING'] });
    expect(history.now?.tasks).toEqual(['MESSAGING']);
    // The changes found outside the bot on each kept day.
    expect(history.events.map((event) => event.kind === 'drift' && event.found)).toEqual([
      ['MESSAGING'],
      ['VIEW_COST'],
      ['MESSAGING'],
    ]);
  });

  it('a check cut short after recording its digest, run again, posts that digest with what else it finds: each change once', async () => {
    await fakeGraph();
    const { drift, store, accounts, notifier } = await bot();
    const account = accounts.default;
    await drift.checkNow(account);

    // The process dies after recording the digest, before the new read becomes the baseline.
    graph.assign(WABA, DAVE, ['MESSAGING']);
    now += 60_000;
    const saveSnapshot = store.drift.saveSnapshot.bind(store.drift);
    store.drift.saveSnapshot = async () => {
      store.drift.saveSnapshot = saveSnapshot;
      throw new Error('process died');
    };
    await expect(drift.checkNow(account)).rejects.toThrow('process died');
    expect(notifier.posted).toHaveLength(0);

    graph.assign(WABA, ALICE, ['MANAGE', 'VIEW_COST']);
    now += 60_000;
    const again = await drift.checkNow(account);
    expect(again).toMatchObject({ kind: 'checked', changes: 2 });
    expect(notifier.posted).toHaveLength(1);
    expect(notifier.posted[0]!.rows).toHaveLength(2);
    const digest = (await store.drift.digest(notifier.posted[0]!.id))!;
    expect(digest.rows.map((row) => row.userId)).toEqual([DAVE, ALICE]);
    // Checked again: nothing new.
    now += 60_000;
    expect(await drift.checkNow(account)).toMatchObject({ changes: 0 });
    expect(notifier.posted).toHaveLength(1);
  });

  it('keeps a digest Slack would not take, and posts it on the next tick without reading again', async () => {
    await fakeGraph();
    const { drift, accounts, notifier } = await bot();
    await drift.checkNow(accounts.default);
    graph.assign(WABA, DAVE, ['MESSAGING']);
    now += 60_000;
    const post = notifier.post.bind(notifier);
    notifier.post = async () => {
      notifier.post = post;
      throw new Error('slack is down');
    };
    expect(await drift.checkNow(accounts.default)).toMatchObject({ kind: 'checked', changes: 1 });
    expect(notifier.posted).toHaveLength(0);
    const reads = rosterCalls().length;
    await drift.checkDue();
    expect(notifier.posted.map((digest) => digest.rows.map((row) => row.userId))).toEqual([[DAVE]]);
    expect(rosterCalls()).toHaveLength(reads);
  });

  it('is put off while Meta holds calls for the account, and reads nothing', async () => {
    await fakeGraph();
    const { drift, accounts } = await bot();
    // Meta reports usage on every call: low on the first check's read.
    graph.extraHeaders = {
      'x-business-use-case-usage': JSON.stringify({
        '2000000000001': [{ type: 'whatsapp_business_management', call_count: 10, total_cputime: 1, total_time: 1 }],
      }),
    };
    await drift.checkNow(accounts.default);
    graph.queueFault({
      status: 400,
      body: { error: { message: 'Too many calls', type: 'OAuthException', code: 80008 } },
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          '2000000000001': [
            { type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 5 },
          ],
        }),
      },
    });
    await accounts.default.waba.currentAccess(ALICE).catch(() => undefined);
    const reads = rosterCalls().length;
    const outcome = await drift.checkNow(accounts.default);
    expect(outcome.kind).toBe('skipped');
    expect(rosterCalls()).toHaveLength(reads);
  });
});

describe.skipIf(!process.env.REDIS_URL)('drift checks with replicas on Redis', () => {
  it('two processes whose checks fall due together read the roster once and post one digest', async () => {
    await fakeGraph();
    const namespace = `drift-${Math.random().toString(36).slice(2, 10)}`;
    const one = await bot(process.env.REDIS_URL, { namespace });
    const two = await bot(process.env.REDIS_URL, { namespace });
    await one.drift.checkDue();
    graph.assign(WABA, DAVE, ['MESSAGING']);
    now += 3_600_000;
    const before = rosterCalls().length;
    await Promise.all([one.drift.checkDue(), two.drift.checkDue(), one.drift.checkDue(), two.drift.checkDue()]);
    expect(rosterCalls().length - before).toBe(1);
    expect(one.notifier.posted.length + two.notifier.posted.length).toBe(1);
    // Not due again until the interval has passed.
    await Promise.all([one.drift.checkDue(), two.drift.checkDue()]);
    expect(rosterCalls().length - before).toBe(1);
  });
});
