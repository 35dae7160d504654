import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditEntry, type RequestRepository, TransitionConflictError } from '../../src/access/ports.js';
import { type AccessRequest, approve, cancel, deny } from '../../src/access/request.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { at, pendingRequest } from '../support/requests.js';
import { storeUrls } from '../support/store-urls.js';

const dir = mkdtempSync(join(tmpdir(), 'waba-store-'));
const namespace = `test-${Math.random().toString(36).slice(2, 10)}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urls = storeUrls(dir);

const newId = () => `r${Math.random().toString(36).slice(2)}`;
const entry = (requestId: string, actor: string, event: AuditEntry['event']): AuditEntry => ({
  requestId,
  at: at.toISOString(),
  actor,
  event,
});

/** Files a new request (from version 0) with its audit entry, as submitting does. */
async function file(repository: RequestRepository, id = newId()) {
  return repository.transition(pendingRequest({ id }), { expectedVersion: 0, audit: entry(id, 'ULEAD', 'pending') });
}

describe.each(urls)('%s store', (_name, url) => {
  it('round-trips every request state, one version per transition', async () => {
    const store = await openStore(url(), { namespace });
    const id = newId();
    const pending = pendingRequest({ id });
    const filed = await store.repository.transition(pending, { expectedVersion: 0 });
    expect(filed).toEqual({ ...pending, version: 1 });
    expect(await store.repository.get(id)).toEqual({ ...pending, version: 1 });
    const approved = approve(filed, 'UANN', at);
    expect(approved.version).toBe(1);
    await store.repository.transition(approved, { expectedVersion: 1 });
    expect(await store.repository.get(id)).toEqual({ ...approved, version: 2 });
    expect(await store.repository.get('missing')).toBeUndefined();
    expect(await store.ping()).toBe(true);
    await store.close();
  });

  it('writes the audit entry with the request, and nothing at all from a stale version', async () => {
    const store = await openStore(url(), { namespace });
    const filed = await file(store.repository);
    const approved = await store.repository.transition(approve(filed, 'UANN', at), {
      expectedVersion: 1,
      audit: entry(filed.id, 'UANN', 'approved'),
    });

    // A writer that read version 1 before the approval landed.
    const late = store.repository.transition(deny(filed, 'UBOB', at), {
      expectedVersion: 1,
      audit: entry(filed.id, 'UBOB', 'denied'),
    });
    await expect(late).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(late).rejects.toMatchObject({ requestId: filed.id, expectedVersion: 1, foundVersion: 2 });
    expect(await store.repository.get(filed.id)).toEqual(approved);
    expect((await store.repository.auditOf(filed.id)).map((e) => `${e.actor} ${e.event}`)).toEqual([
      'ULEAD pending',
      'UANN approved',
    ]);

    // Filing again under an id that is taken fails the same way.
    await expect(file(store.repository, filed.id)).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(
      store.repository.transition(pendingRequest({ id: newId() }), { expectedVersion: 3 }),
    ).rejects.toMatchObject({ foundVersion: 0 });
    await store.close();
  });

  it('commits exactly one of two writers that read the same version', async () => {
    const store = await openStore(url(), { namespace });
    const filed = await file(store.repository);
    const read = (await store.repository.get(filed.id))!;
    const results = await Promise.allSettled([
      store.repository.transition(approve(read, 'UANN', at), {
        expectedVersion: read.version!,
        audit: entry(read.id, 'UANN', 'approved'),
      }),
      store.repository.transition(deny(read, 'UBOB', at), {
        expectedVersion: read.version!,
        audit: entry(read.id, 'UBOB', 'denied'),
      }),
    ]);
    const committed = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(committed).toHaveLength(1);
    expect(refused.map((result) => result.reason)).toEqual([expect.any(TransitionConflictError)]);
    const winner = (committed[0] as PromiseFulfilledResult<AccessRequest>).value;
    expect(await store.repository.get(read.id)).toEqual(winner);
    const audit = await store.repository.auditOf(read.id);
    expect(audit.map((e) => e.event)).toEqual(['pending', winner.state]);
    await store.close();
  });

  it('lets one of twenty concurrent writers commit, whatever the interleaving', async () => {
    const store = await openStore(url(), { namespace });
    const filed = await file(store.repository);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.repository.transition(cancel(filed, `U${i}`, at), {
          expectedVersion: 1,
          audit: entry(filed.id, `U${i}`, 'canceled'),
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const stored = await store.repository.get(filed.id);
    expect(stored).toMatchObject({ state: 'canceled', version: 2 });
    const audit = await store.repository.auditOf(filed.id);
    expect(audit.map((e) => e.actor)).toEqual(['ULEAD', stored?.state === 'canceled' ? stored.canceledBy : '']);
    await store.close();
  });

  it('keeps failed requests still retryable in an index of their own, apart from the open ones', async () => {
    const store = await openStore(url(), { namespace });
    const ids = Array.from({ length: 6 }, () => newId());
    await Promise.all(ids.map((id) => store.repository.setRetryable(id, true)));
    await Promise.all(ids.slice(0, 2).map((id) => store.repository.setRetryable(id, false)));
    const retryable = await store.repository.retryableIds();
    expect(ids.filter((id) => retryable.includes(id)).sort()).toEqual(ids.slice(2).sort());
    expect((await store.repository.openIds()).filter((id) => ids.includes(id))).toEqual([]);
    for (const id of ids) await store.repository.setRetryable(id, false);
    expect((await store.repository.retryableIds()).filter((id) => ids.includes(id))).toEqual([]);
    await store.close();
  });

  it('keeps the open index and the audit log exact under concurrent writes', async () => {
    const store = await openStore(url(), { namespace });
    const ids = Array.from({ length: 20 }, (_, i) => `open-${i}-${Math.random().toString(36).slice(2)}`);
    await Promise.all(ids.map((id) => store.repository.setOpen(id, true)));
    await Promise.all(ids.slice(0, 5).map((id) => store.repository.setOpen(id, false)));
    const open = await store.repository.openIds();
    expect(ids.filter((id) => open.includes(id)).sort()).toEqual(ids.slice(5).sort());
    for (const id of ids) await store.repository.setOpen(id, false);

    // Appends that go with no request write, racing transitions of the same request: none is lost.
    const filed = await file(store.repository);
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        store.repository.appendAudit({ requestId: filed.id, at: at.toISOString(), actor: `U${i}`, event: 'reminded' }),
      ),
      store.repository.transition(approve(filed, 'UANN', at), {
        expectedVersion: 1,
        audit: entry(filed.id, 'UANN', 'approved'),
      }),
    ]);
    expect((await store.repository.auditOf(filed.id)).map((e) => e.actor).sort()).toEqual(
      ['ULEAD', 'UANN', ...Array.from({ length: 20 }, (_, i) => `U${i}`)].sort(),
    );
    await store.close();
  });
});

/** Opens a store and, beside it, the plain Keyv an earlier version wrote requests and audit logs to. */
async function withLegacyWriter(kind: string): Promise<{ store: Store; legacy: Keyv; done(): Promise<void> }> {
  const ns = `legacy-${Math.random().toString(36).slice(2, 10)}`;
  if (kind === 'SQLite') {
    const path = join(dir, `legacy-${Math.random()}.sqlite`);
    const adapter = new KeyvSqlite({ uri: `sqlite://${path}` });
    const legacy = new Keyv({ store: adapter, namespace: ns });
    const store = await openStore(`sqlite://${path}`, { namespace: ns });
    return {
      store,
      legacy,
      done: async () => Promise.all([store.close(), adapter.disconnect()]).then(() => undefined),
    };
  }
  const client = createClient({ url: process.env.REDIS_URL! });
  await client.connect();
  const legacy = new Keyv({ store: new KeyvRedis(client), namespace: ns });
  const store = await openStore(process.env.REDIS_URL!, { namespace: ns });
  return { store, legacy, done: async () => Promise.all([store.close(), client.close()]).then(() => undefined) };
}

const legacyKinds: Array<[string]> = [['SQLite']];
if (process.env.REDIS_URL) legacyKinds.push(['Redis']);

describe('requests stored before versions', () => {
  async function movesOnFromZero(repository: RequestRepository, legacy: Keyv) {
    const old = pendingRequest({ id: newId() });
    const filedThen = entry(old.id, 'ULEAD', 'pending');
    await legacy.set(`request:${old.id}`, old);
    await legacy.set(`audit:${old.id}`, [filedThen]);

    const read = (await repository.get(old.id))!;
    expect(read).toEqual({ ...old, version: 0 });
    const approved = await repository.transition(approve(read, 'UANN', at), {
      expectedVersion: 0,
      audit: entry(old.id, 'UANN', 'approved'),
    });
    expect(approved.version).toBe(1);
    expect(await repository.get(old.id)).toEqual(approved);
    // A second writer that also read it at version 0 finds it moved on.
    await expect(
      repository.transition(deny(read, 'UBOB', at), { expectedVersion: 0, audit: entry(old.id, 'UBOB', 'denied') }),
    ).rejects.toBeInstanceOf(TransitionConflictError);
    await repository.appendAudit(entry(old.id, 'system', 'notify-failed'));
    expect((await repository.auditOf(old.id)).map((e) => `${e.actor} ${e.event}`)).toEqual([
      'ULEAD pending',
      'UANN approved',
      'system notify-failed',
    ]);
  }

  it('memory: reads one as version 0 and moves it on from there', async () => {
    const keyv = new Keyv();
    await movesOnFromZero(new KeyvRequestRepository(keyv), keyv);
  });

  it.each(legacyKinds)('%s: reads one as version 0 and moves it on from there', async (kind) => {
    const { store, legacy, done } = await withLegacyWriter(kind);
    await movesOnFromZero(store.repository, legacy);
    await done();
  });

  it('SQLite: an audit entry appended before the first transition stays in order', async () => {
    const { store, legacy, done } = await withLegacyWriter('SQLite');
    const old = pendingRequest({ id: newId() });
    await legacy.set(`request:${old.id}`, old);
    await store.repository.appendAudit(entry(old.id, 'system', 'reminded'));
    expect(await store.repository.get(old.id)).toMatchObject({ version: 0 });
    await store.repository.transition(approve(old, 'UANN', at), {
      expectedVersion: 0,
      audit: entry(old.id, 'UANN', 'approved'),
    });
    expect((await store.repository.auditOf(old.id)).map((e) => e.event)).toEqual(['reminded', 'approved']);
    expect(await store.repository.get(old.id)).toMatchObject({ state: 'approved', version: 1 });
    await done();
  });
});

describe('SQLite store', () => {
  it('keeps requests and their indexes across reopening the file', async () => {
    const file = `sqlite://${join(dir, 'durable.sqlite')}`;
    const first = await openStore(file);
    await first.repository.transition(pendingRequest({ id: 'kept' }), { expectedVersion: 0 });
    await Promise.all(['kept', 'other', 'closed'].map((id) => first.repository.setOpen(id, true)));
    await first.repository.setOpen('closed', false);
    await first.repository.setGrantLive('g1', true);
    await first.repository.setRetryable('failed', true);
    await first.close();
    const second = await openStore(file);
    expect(await second.repository.get('kept')).toMatchObject({ state: 'pending', version: 1 });
    expect((await second.repository.openIds()).sort()).toEqual(['kept', 'other']);
    expect(await second.repository.liveGrantIds()).toEqual(['g1']);
    expect(await second.repository.retryableIds()).toEqual(['failed']);
    await second.close();
  });

  it('creates the folder it needs', async () => {
    const store = await openStore(`sqlite://${join(dir, 'a', 'b', 'store.sqlite')}`);
    expect(await store.ping()).toBe(true);
    await store.close();
  });
});

describe('openStore', () => {
  it('rejects an unknown scheme with a message that names the valid ones', async () => {
    await expect(openStore('postgres://x')).rejects.toThrow(/sqlite:\/\/, redis:\/\/ or memory:\/\//);
  });
});
