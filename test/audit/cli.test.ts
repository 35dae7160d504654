import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/access/ports.js';
import { approve } from '../../src/access/request.js';
import { hashOf, parseRecord } from '../../src/audit/chain.js';
import { runAuditCli } from '../../src/audit/cli.js';
import { openStore } from '../../src/store/open-store.js';
import { ensureBuilt } from '../support/bot-process.js';
import { pendingRequest } from '../support/requests.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'waba-audit-cli-'));
const SUPPORT = '1000000000001';
const SALES = '1000000000002';
const NOW = Date.parse('2026-03-01T12:00:00Z');

/** Runs the command in process; returns its exit code and what it wrote. */
async function cli(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await runAuditCli(argv, {
    env,
    out: async (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    now: () => NOW,
  });
  return { code, out, err };
}

const entry = (id: string, wabaId: string, actor: string, event: AuditEntry['event'], at: string, detail?: string) => ({
  requestId: id,
  at,
  actor,
  event,
  wabaId,
  account: wabaId === SUPPORT ? 'support' : 'sales',
  ...(detail ? { detail } : {}),
});

/** A store with requests on two accounts (one filed in January, one in February) and a link change. */
async function seedStore(path: string): Promise<void> {
  const store = await openStore(`sqlite://${path}`);
  const requests: Array<[string, string, string]> = [
    ['r-old', SUPPORT, '2026-01-10T09:00:00.000Z'],
    ['r-new', SUPPORT, '2026-02-20T09:00:00.000Z'],
    ['r-sales', SALES, '2026-02-21T09:00:00.000Z'],
  ];
  for (const [id, wabaId, at] of requests) {
    const filed = await store.repository.transition(pendingRequest({ id, wabaId }), {
      expectedVersion: 0,
      audit: entry(id, wabaId, 'ULEAD', 'pending', at, '=HYPERLINK("http://evil.example") and "more", too\nnext line'),
    });
    await store.repository.transition(approve(filed, 'UANN', new Date(at)), {
      expectedVersion: 1,
      audit: entry(id, wabaId, 'UANN', 'approved', at),
    });
  }
  await store.directory.appendLinkAudit({
    at: '2026-02-22T09:00:00.000Z',
    actor: 'UADMIN',
    event: 'linked',
    slackId: 'UALICE',
    after: '300000000000001',
    via: '/waba link',
  });
  await store.close();
}

describe('npm run audit', () => {
  const path = join(dir, 'store.sqlite');
  const env = { STORE_URL: `sqlite://${path}` };
  beforeAll(() => seedStore(path));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify: says each chain is intact and exits 0', async () => {
    const { code, out } = await cli(['verify'], env);
    expect(code).toBe(0);
    expect(out).toContain('global (link changes, exports of every account): 1 entries, intact');
    expect(out).toMatch(
      new RegExp(
        `support \\(WABA ${SUPPORT}\\): 4 entries, intact \\(last 2026-02-20T09:00:00.000Z\\); head [0-9a-f]{64}\n`,
      ),
    );
    expect(out).toContain(`sales (WABA ${SALES}): 2 entries, intact`);
    expect(out).toContain('The audit trail is intact: 3 chain(s), 7 entries.');
  });

  it('export: JSONL lines that each check on their own, chain by chain in order', async () => {
    const { code, out } = await cli(['export', '--format', 'jsonl'], env);
    expect(code).toBe(0);
    const records = out
      .trimEnd()
      .split('\n')
      .map((line) => parseRecord(line)!);
    expect(records.map((record) => `${record.chain}:${record.seq}`)).toEqual([
      'global:1',
      `${SUPPORT}:1`,
      `${SUPPORT}:2`,
      `${SUPPORT}:3`,
      `${SUPPORT}:4`,
      `${SALES}:1`,
      `${SALES}:2`,
    ]);
    for (const record of records) expect(hashOf(record)).toBe(record.hash);
    expect(records[2]!.prev).toBe(records[1]!.hash);
  });

  it('export: one account since a moment, as CSV quoted for spreadsheets', async () => {
    const { code, out } = await cli(['export', '--account', 'support', '--since', '30d', '--format', 'csv'], env);
    expect(code).toBe(0);
    const rows = out.split('\r\n');
    expect(rows[0]).toBe(
      'chain,seq,at,account,actor,event,request_id,person,meta_user_before,meta_user_after,via,moved_to,detail,prev,hash',
    );
    // January's request is older than 30 days before 1 March; the reason's formula is defused and quoted.
    expect(out).not.toContain('r-old');
    expect(rows[1]).toMatch(
      new RegExp(
        `^${SUPPORT},3,2026-02-20T09:00:00.000Z,support,ULEAD,pending,r-new,,,,,,"'=HYPERLINK\\(""http://evil.example""\\) and ""more"", too\nnext line",[0-9a-f]{64},[0-9a-f]{64}$`,
      ),
    );
    expect(rows[2]).toMatch(new RegExp(`^${SUPPORT},4,.*,support,UANN,approved,r-new,`));
    expect(rows.at(-1)).toBe('');
    expect(rows).toHaveLength(4);
  });

  it('export: an account by WABA id, the global chain by name, and a date for --since', async () => {
    const sales = await cli(['export', '--account', SALES], env);
    expect(sales.out.trimEnd().split('\n')).toHaveLength(2);
    const global = await cli(['export', '--account', 'global', '--format', 'csv', '--since', '2026-02-22'], env);
    expect(global.out).toContain(
      'global,1,2026-02-22T09:00:00.000Z,,UADMIN,linked,,UALICE,,300000000000001,/waba link',
    );
  });

  it('refuses what it cannot do, says why, and exits 2', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], env, /Say what to do: verify or export/],
      [['purge'], env, /Unknown command "purge"/],
      [['export', '--format', 'xml'], env, /--format must be jsonl or csv/],
      [['export', '--since', 'yesterday'], env, /--since takes a duration \(30d, 12h\) or a date/],
      [['verify', '--since', '30d'], env, /--since is for export/],
      [['export', '--acount', 'x'], env, /Unknown option '--acount'/],
      [
        ['export', '--account', 'marketing'],
        env,
        /No chain belongs to account "marketing". The chains: global .*, support \(WABA/,
      ],
      [['verify'], { STORE_URL: `sqlite://${join(dir, 'missing.sqlite')}` }, /There is no store at .*missing\.sqlite/],
      [['verify'], { STORE_URL: 'memory://' }, /memory:\/\/: that store lives inside the bot/],
      [['verify'], { STORE_URL: 'postgres://x' }, /STORE_URL is invalid/],
    ];
    for (const [argv, environment, said] of cases) {
      const { code, err } = await cli(argv, environment);
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toMatch(said);
    }
  });
});

describe('npm run audit -- verify on a store someone changed', () => {
  const path = join(dir, 'tampered.sqlite');
  const env = { STORE_URL: `sqlite://${path}` };
  beforeAll(async () => {
    await seedStore(path);
    // Someone with the file rewrites who approved the new support request.
    const db = new KeyvSqlite({ uri: `sqlite://${path}` });
    const [row] = await db.query('SELECT record FROM waba_audit WHERE chain = ? AND seq = 4', SUPPORT);
    const forged = String(row.record).replace('"actor":"UANN"', '"actor":"UMALLORY"');
    await db.query('UPDATE waba_audit SET record = ? WHERE chain = ? AND seq = 4', forged, SUPPORT);
    await db.disconnect();
  });

  it('exits 1 and names the first broken entry: its account, number and time', async () => {
    const { code, out, err } = await cli(['verify'], env);
    expect(code).toBe(1);
    expect(out).toContain(
      `support (WABA ${SUPPORT}): BROKEN at entry 4, written 2026-02-20T09:00:00.000Z: its hash does not match its content`,
    );
    expect(out).toContain(`sales (WABA ${SALES}): 2 entries, intact`);
    expect(err).toBe(
      `The audit trail is broken in 1 of 3 chain(s). First broken entry: support (WABA ${SUPPORT}), entry 4, written 2026-02-20T09:00:00.000Z.\n`,
    );
    // Checking only another account finds nothing wrong there.
    expect((await cli(['verify', '--account', 'sales'], env)).code).toBe(0);
  });

  it('the compiled command (what `npm run audit` runs) gives the same verdict, with no dev tool', async () => {
    await ensureBuilt();
    const cwd = mkdtempSync(join(tmpdir(), 'waba-audit-run-'));
    const failed = await run(process.execPath, [join(ROOT, 'dist/cli/audit.js'), 'verify'], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect('code' in failed && failed.code).toBe(1);
    expect(failed.stderr).toContain(`First broken entry: support (WABA ${SUPPORT}), entry 4`);
    const intact = await run('npm', ['run', '-s', 'audit', '--', 'export', '--account', 'sales'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    expect(
      intact.stdout
        .trimEnd()
        .split('\n')
        .map((line) => parseRecord(line)?.seq),
    ).toEqual([1, 2]);
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);
});
