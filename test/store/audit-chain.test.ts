import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/access/ports.js';
import { approve } from '../../src/access/request.js';
import { GLOBAL_CHAIN, parseRecord } from '../../src/audit/chain.js';
import { linesOf } from '../../src/audit/trail.js';
import { verifyTrail } from '../../src/audit/verify.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { at, pendingRequest } from '../support/requests.js';
import { storeUrls } from '../support/store-urls.js';

const dir = mkdtempSync(join(tmpdir(), 'waba-chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urls = storeUrls(dir);

const newNamespace = () => `chain-${Math.random().toString(36).slice(2, 10)}`;
const newId = () => `r${Math.random().toString(36).slice(2)}`;
const WABA_A = '1000000000001';
const WABA_B = '1000000000002';

const entry = (requestId: string, wabaId: string, actor: string, event: AuditEntry['event']): AuditEntry => ({
  requestId,
  at: at.toISOString(),
  actor,
  event,
  wabaId,
  account: wabaId === WABA_A ? 'support' : 'sales',
});

/** Files a request and approves it: two transitions, each with its entry. */
async function fileAndApprove(store: Store, wabaId: string) {
  const id = newId();
  const filed = await store.repository.transition(pendingRequest({ id, wabaId }), {
    expectedVersion: 0,
    audit: entry(id, wabaId, 'ULEAD', 'pending'),
  });
  await store.repository.transition(approve(filed, 'UANN', at), {
    expectedVersion: 1,
    audit: entry(id, wabaId, 'UANN', 'approved'),
  });
  return id;
}

async function chainTexts(store: Store, chain: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const line of linesOf(store.auditTrail, chain)) texts.push(line.text);
  return texts;
}

describe.each(urls)('%s store: audit hash chains', (_name, url) => {
  it('keeps one unbroken chain per account under concurrent transitions, appends and link changes', async () => {
    const store = await openStore(url(), { namespace: newNamespace() });
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => fileAndApprove(store, i % 3 === 0 ? WABA_B : WABA_A)),
    );
    await Promise.all([
      ...ids.map((id, i) =>
        store.repository.appendAudit(entry(id, i % 3 === 0 ? WABA_B : WABA_A, 'system', 'reminded')),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        store.directory.appendLinkAudit({
          at: at.toISOString(),
          actor: 'UADMIN',
          event: 'linked',
          slackId: `UPERSON${i}`,
          after: `30000000000000${i}`,
          via: '/waba link',
        }),
      ),
    ]);

    const reports = await verifyTrail(store.auditTrail);
    expect(reports.map((report) => [report.chain, report.count, report.broken])).toEqual([
      [GLOBAL_CHAIN, 5, undefined],
      [WABA_A, 20 * 3, undefined],
      [WABA_B, 10 * 3, undefined],
    ]);
    expect(reports.find((report) => report.chain === WABA_A)?.account).toBe('support');
    // Every request's entries are in its account's chain exactly once, in the order they were written.
    const chainA = (await chainTexts(store, WABA_A)).map((text) => parseRecord(text)!);
    const first = ids.find((_, i) => i % 3 !== 0)!;
    expect(chainA.filter((record) => record.requestId === first).map((record) => record.event)).toEqual([
      'pending',
      'approved',
      'reminded',
    ]);
    const link = parseRecord((await chainTexts(store, GLOBAL_CHAIN))[0]!);
    expect(link).toMatchObject({ event: 'linked', actor: 'UADMIN', via: '/waba link', chain: GLOBAL_CHAIN });
    await store.close();
  });

  it('writes no chain entry for a transition that loses, and puts an entry of unknown account in the global chain', async () => {
    const store = await openStore(url(), { namespace: newNamespace() });
    const id = await fileAndApprove(store, WABA_A);
    const stale = pendingRequest({ id, wabaId: WABA_A, version: 1 });
    await expect(
      store.repository.transition(approve(stale, 'UBOB', at), {
        expectedVersion: 1,
        audit: entry(id, WABA_A, 'UBOB', 'approved'),
      }),
    ).rejects.toThrow(/version/);
    expect(await store.auditTrail.head(WABA_A)).toMatchObject({ seq: 2 });
    // An entry without its account (as older code wrote them) finds it through its request; without one, global.
    await store.repository.appendAudit({ requestId: id, at: at.toISOString(), actor: 'system', event: 'reminded' });
    await store.repository.appendAudit({ requestId: 'gone', at: at.toISOString(), actor: 'system', event: 'reminded' });
    expect(await store.auditTrail.head(WABA_A)).toMatchObject({ seq: 3 });
    expect(await store.auditTrail.head(GLOBAL_CHAIN)).toMatchObject({ seq: 1 });
    expect((await verifyTrail(store.auditTrail)).every((report) => !report.broken)).toBe(true);
    await store.close();
  });
});

describe('SQLite store: audit chain', () => {
  it('keeps its chains across reopening the file, and goes on from the head', async () => {
    const file = `sqlite://${join(dir, 'reopen.sqlite')}`;
    const first = await openStore(file);
    await fileAndApprove(first, WABA_A);
    await first.close();
    const second = await openStore(file);
    await fileAndApprove(second, WABA_A);
    const [report] = await verifyTrail(second.auditTrail);
    expect(report).toMatchObject({ chain: WABA_A, count: 4 });
    expect(report?.broken).toBeUndefined();
    await second.close();
  });

  it('rolls back the request with its chain entry when the entry cannot be written', async () => {
    const path = join(dir, 'rollback.sqlite');
    const store = await openStore(`sqlite://${path}`);
    const id = newId();
    const filed = await store.repository.transition(pendingRequest({ id, wabaId: WABA_A }), {
      expectedVersion: 0,
      audit: entry(id, WABA_A, 'ULEAD', 'pending'),
    });
    // Someone puts a row where the next entry goes: the append fails inside the transaction.
    const intruder = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 });
    await intruder.query(
      `INSERT INTO waba_audit (namespace, chain, seq, record) VALUES ('waba-access', ?, 2, '{}')`,
      WABA_A,
    );
    await intruder.disconnect();
    await expect(
      store.repository.transition(approve(filed, 'UANN', at), {
        expectedVersion: 1,
        audit: entry(id, WABA_A, 'UANN', 'approved'),
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await store.repository.get(id)).toMatchObject({ state: 'pending', version: 1 });
    expect((await store.repository.auditOf(id)).map((e) => e.event)).toEqual(['pending']);
    expect(await store.auditTrail.head(WABA_A)).toMatchObject({ seq: 1 });
    await store.close();
  });

  it('lets Keyv reads and writes run beside transactions without losing or blocking any', async () => {
    const store = await openStore(`sqlite://${join(dir, 'busy.sqlite')}`);
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      work.push(fileAndApprove(store, WABA_A));
      work.push(store.repository.setOpen(`open-${i}`, true));
      work.push(store.repository.heartbeat(`instance-${i}`, 60_000));
    }
    await Promise.all(work);
    expect((await store.repository.openIds()).filter((id) => id.startsWith('open-'))).toHaveLength(40);
    expect(await store.repository.isAlive('instance-39')).toBe(true);
    expect(await store.auditTrail.head(WABA_A)).toMatchObject({ seq: 80 });
    await store.close();
  });
});

describe.runIf(process.env.REDIS_URL)('Redis store: two replicas append to one chain', () => {
  it('keeps it unbroken when both write at once', async () => {
    const namespace = newNamespace();
    const one = await openStore(process.env.REDIS_URL!, { namespace });
    const two = await openStore(process.env.REDIS_URL!, { namespace });
    await Promise.all<unknown>([
      ...Array.from({ length: 40 }, (_, i) => fileAndApprove(i % 2 === 0 ? one : two, WABA_A)),
      ...Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? two : one).auditTrail.append(WABA_A, {
          at: at.toISOString(),
          actor: 'UADMIN',
          event: 'audit-exported',
        }),
      ),
    ]);
    const [report] = await verifyTrail(one.auditTrail);
    expect(report).toMatchObject({ chain: WABA_A, count: 100 });
    expect(report?.broken).toBeUndefined();
    await one.close();
    await two.close();
  });
});
