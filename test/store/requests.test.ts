import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { approve } from '../../src/access/request.js';
import { openStore } from '../../src/store/open-store.js';
import { at, pendingRequest } from '../support/requests.js';

const dir = mkdtempSync(join(tmpdir(), 'waba-store-'));
const namespace = `test-${Math.random().toString(36).slice(2, 10)}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urls: Array<[string, () => string]> = [
  ['memory', () => 'memory://'],
  ['SQLite', () => `sqlite://${join(dir, `${Math.random()}.sqlite`)}`],
];
if (process.env.REDIS_URL) urls.push(['Redis', () => process.env.REDIS_URL!]);

describe.each(urls)('%s store', (_name, url) => {
  it('round-trips every request state', async () => {
    const store = await openStore(url(), { namespace });
    const id = `r${Math.random().toString(36).slice(2)}`;
    const pending = pendingRequest({ id });
    await store.repository.save(pending);
    expect(await store.repository.get(id)).toEqual(pending);
    const approved = approve(pending, 'UANN', at);
    await store.repository.save(approved);
    expect(await store.repository.get(id)).toEqual(approved);
    expect(await store.repository.get('missing')).toBeUndefined();
    expect(await store.ping()).toBe(true);
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

    const requestId = `audit-${Math.random().toString(36).slice(2)}`;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.repository.appendAudit({ requestId, at: at.toISOString(), actor: `U${i}`, event: 'pending' }),
      ),
    );
    expect((await store.repository.auditOf(requestId)).map((entry) => entry.actor).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `U${i}`).sort(),
    );
    await store.close();
  });
});

describe('SQLite store', () => {
  it('keeps requests and their indexes across reopening the file', async () => {
    const file = `sqlite://${join(dir, 'durable.sqlite')}`;
    const first = await openStore(file);
    await first.repository.save(pendingRequest({ id: 'kept' }));
    await Promise.all(['kept', 'other', 'closed'].map((id) => first.repository.setOpen(id, true)));
    await first.repository.setOpen('closed', false);
    await first.repository.setGrantLive('g1', true);
    await first.close();
    const second = await openStore(file);
    expect((await second.repository.get('kept'))?.state).toBe('pending');
    expect((await second.repository.openIds()).sort()).toEqual(['kept', 'other']);
    expect(await second.repository.liveGrantIds()).toEqual(['g1']);
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
