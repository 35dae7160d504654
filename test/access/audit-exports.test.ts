import { describe, expect, it } from 'vitest';
import { Accounts, accountPolicy, NO_PEOPLE } from '../../src/access/accounts.js';
import { AuditExports, type AuditFile, MAX_EXPORT_BYTES } from '../../src/access/audit-exports.js';
import { GLOBAL_CHAIN, parseRecord } from '../../src/audit/chain.js';
import { GraphClient } from '../../src/graph/client.js';
import { MemoryAuditTrail } from '../../src/store/audit-chain.js';

const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't' });
const groupMembers = async (id: string) => (id === 'SAUDITORS' ? ['UAUDITOR'] : undefined);
const support = accountPolicy({
  alias: 'support',
  wabaId: '1',
  businessId: '9',
  approverIds: ['UANN'],
  adminIds: ['USUPPORTADMIN', 'SAUDITORS'],
});
const sales = accountPolicy({ alias: 'sales', wabaId: '2', businessId: '9', approverIds: ['UBOB'] });
const accounts = new Accounts(
  { accounts: [support, sales], defaultAlias: 'support', adminIds: ['UADMIN'], people: NO_PEOPLE },
  { graph, groupMembers },
);
const clock = { now: () => new Date('2026-03-01T12:00:00Z') };

function trailWith(count: number, detail = 'x'): MemoryAuditTrail {
  const trail = new MemoryAuditTrail();
  for (let i = 0; i < count; i++) {
    const chain = i % 2 === 0 ? '1' : '2';
    trail.appendNow(chain, {
      at: new Date(Date.parse('2026-02-01T00:00:00Z') + i * 60_000).toISOString(),
      actor: 'UANN',
      event: 'approved',
      account: chain === '1' ? 'support' : 'sales',
      detail,
    });
  }
  return trail;
}

/** Runs an export and keeps the file it would have sent. */
async function exportAs(exports: AuditExports, actor: string, alias?: string, since?: number) {
  let file: AuditFile | undefined;
  const account = alias ? accounts.byAlias(alias) : undefined;
  const outcome = await exports.run(
    actor,
    { ...(account ? { account } : {}), ...(since ? { since } : {}) },
    async (made) => {
      file = made;
    },
  );
  return { outcome, file, csv: file?.content.toString('utf8') };
}

describe('AuditExports', () => {
  it('lets an account’s admins (members of its admin groups too) and the global ones export its trail', async () => {
    const exports = new AuditExports(trailWith(6), accounts, clock);
    for (const [index, actor] of ['USUPPORTADMIN', 'UAUDITOR', 'UADMIN'].entries()) {
      const { outcome, csv } = await exportAs(exports, actor, 'support');
      expect(outcome).toMatchObject({
        kind: 'exported',
        account: 'support',
        filename: 'waba-audit-support-20260301-1200.csv',
      });
      // Its three entries, and the exports before this one (each is recorded in the account's chain).
      expect(csv?.split('\r\n').filter((row) => row.startsWith('1,'))).toHaveLength(3 + index);
      expect(csv).not.toMatch(/^2,/m);
    }
  });

  it('refuses anyone else, naming who can; the whole trail takes an admin of every account', async () => {
    const exports = new AuditExports(trailWith(2), accounts, clock);
    expect((await exportAs(exports, 'UANN', 'support')).outcome).toEqual({
      kind: 'not-admin',
      admins: ['UADMIN', 'USUPPORTADMIN', 'SAUDITORS'],
      account: 'support',
    });
    expect((await exportAs(exports, 'USUPPORTADMIN', 'sales')).outcome).toMatchObject({
      kind: 'not-admin',
      admins: ['UADMIN'],
    });
    const whole = await exportAs(exports, 'USUPPORTADMIN');
    expect(whole).toMatchObject({ outcome: { kind: 'not-admin', admins: ['UADMIN'] }, file: undefined });
    expect((await exportAs(exports, 'UADMIN')).outcome).toMatchObject({ kind: 'exported', entries: 2 });
  });

  it('records each export in the chain it covers, once the file was delivered, and nothing when it was not', async () => {
    const trail = trailWith(2);
    const exports = new AuditExports(trail, accounts, clock);
    await exportAs(exports, 'USUPPORTADMIN', 'support', Date.parse('2026-01-01T00:00:00Z'));
    const [line] = await trail.lines('1', 1, 1);
    expect(parseRecord(line!.text)).toMatchObject({
      actor: 'USUPPORTADMIN',
      event: 'audit-exported',
      account: 'support',
      detail: 'CSV by Slack DM, 1 entries since 2026-01-01T00:00:00.000Z',
      at: '2026-03-01T12:00:00.000Z',
    });
    await exportAs(exports, 'UADMIN');
    expect(await trail.head(GLOBAL_CHAIN)).toMatchObject({ seq: 1 });

    const failed = await exports.run('UADMIN', {}, async () => {
      throw new Error('not_in_channel');
    });
    expect(failed).toMatchObject({ kind: 'undelivered', error: new Error('not_in_channel') });
    expect(await trail.head(GLOBAL_CHAIN)).toMatchObject({ seq: 1 });
  });

  it('cuts a large trail at its size limit, at a row’s end, and says up to when; one export at a time', async () => {
    const trail = trailWith(2_400, 'y'.repeat(1_900));
    const exports = new AuditExports(trail, accounts, clock);
    let release!: () => void;
    const first = exports.run('UADMIN', {}, (file) => {
      expect(file.content.length).toBeLessThanOrEqual(MAX_EXPORT_BYTES);
      return new Promise((resolve) => {
        release = resolve;
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await exports.run('UADMIN', {}, async () => undefined)).toEqual({ kind: 'busy' });
    release();
    const outcome = await first;
    expect(outcome).toMatchObject({ kind: 'exported', truncated: { limitBytes: MAX_EXPORT_BYTES } });
    if (outcome.kind !== 'exported') return;
    expect(outcome.entries).toBeGreaterThan(1_000);
    expect(outcome.entries).toBeLessThan(2_400);
    const { file } = await exportAs(exports, 'UADMIN');
    const rows = file!.content.toString('utf8').split('\r\n');
    expect(rows.at(-1)).toBe('');
    expect(rows.length - 2).toBe(file!.entries);
    expect(rows.at(-2)).toContain(outcome.truncated!.lastAt);
  });
});
