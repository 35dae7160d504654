import { LockLostError } from '../access/ports.js';
import {
  type ChainAppend,
  chainCheckLua,
  chainWriteLua,
  MemoryAuditTrail,
  type RedisAuditTrail,
  type SqliteAuditTrail,
} from './audit-chain.js';
import { createdOnce, type SqliteConnection, type SqliteQueryFn } from './sqlite-connection.js';

/** A request as stored: its JSON and the version it is at. */
export interface StoredRequest {
  body: string;
  version: number;
}

/** What a conditional write found: it committed at `version`, or the stored version was `found`, or a lock was gone. */
export type WriteOutcome =
  | { kind: 'written'; version: number }
  | { kind: 'conflict'; found: number }
  | { kind: 'lock-lost'; redisKey: string };

/** A lock the writer must still hold for its write to commit. */
export interface Fence {
  redisKey: string;
  token: string;
}

/** An audit entry to write with a request: its line in the request's own log, and its entry in a hash chain. */
export interface AuditWrite {
  entry: string;
  chain: ChainAppend;
}

/**
 * Versioned request records and their audit logs, one backend per store. Every change is atomic in the store itself
 * (a transaction, a script, or a step with no await in it), so replicas and a process's own concurrent work cannot
 * interleave a read and a write. An audit entry goes to the request's log and to its account's hash chain in the
 * same write.
 */
export interface RequestRecords {
  read(id: string): Promise<StoredRequest | undefined>;
  /**
   * Stores `body` at version `expected + 1` if the stored version is `expected` (a missing record, or one an earlier
   * version wrote without a version, is at 0), appending `audit` in the same write. In Redis the write also checks
   * that every fence still holds its token.
   */
  write(
    id: string,
    expected: number,
    body: string,
    audit: AuditWrite | undefined,
    fences: Fence[],
  ): Promise<WriteOutcome>;
  appendAudit(id: string, audit: AuditWrite): Promise<void>;
  /** Appends to the record's own log only, not to any chain: for journals that are not audit facts themselves. */
  appendLog(id: string, entry: string): Promise<void>;
  /** Audit entries, oldest first. */
  auditOf(id: string): Promise<string[]>;
  /**
   * Stores records no one else knows yet (fresh ids), each at version 1 without audit, a few hundred per write: a
   * new review's pages are a thousand records for 10,000 people, and one write each would take seconds.
   */
  createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void>;
}

/** How many new records one statement or script stores. */
const CREATE_BATCH = 250;

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += CREATE_BATCH) out.push(items.slice(start, start + CREATE_BATCH));
  return out;
}

/** For memory://: the same rules in process; each change runs without an await, so nothing interleaves with it. */
export class MemoryRecords implements RequestRecords {
  private readonly requests = new Map<string, StoredRequest>();
  private readonly audits = new Map<string, string[]>();

  constructor(private readonly trail = new MemoryAuditTrail()) {}

  async read(id: string): Promise<StoredRequest | undefined> {
    return this.requests.get(id);
  }

  async write(id: string, expected: number, body: string, audit: AuditWrite | undefined): Promise<WriteOutcome> {
    const found = this.requests.get(id)?.version ?? 0;
    if (found !== expected) return { kind: 'conflict', found };
    this.requests.set(id, { body, version: expected + 1 });
    if (audit !== undefined) this.appendNow(id, audit);
    return { kind: 'written', version: expected + 1 };
  }

  async appendAudit(id: string, audit: AuditWrite): Promise<void> {
    this.appendNow(id, audit);
  }

  async appendLog(id: string, entry: string): Promise<void> {
    this.audits.set(id, [...(this.audits.get(id) ?? []), entry]);
  }

  private appendNow(id: string, audit: AuditWrite): void {
    this.audits.set(id, [...(this.audits.get(id) ?? []), audit.entry]);
    this.trail.appendNow(audit.chain.chain, audit.chain.facts);
  }

  async auditOf(id: string): Promise<string[]> {
    return [...(this.audits.get(id) ?? [])];
  }

  async createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    for (const { id, body } of records) this.requests.set(id, { body, version: 1 });
  }
}

const TABLE = 'waba_requests';

/**
 * For SQLite: a table of its own beside Keyv's, in the same file and on the same connection. Each row holds a
 * request, its version and its audit log (a JSON array), so a transition is one upsert whose `WHERE version = ?`
 * decides, and whose audit append lands with it; the entry in the account's hash chain is written in the same
 * transaction. A row without a body holds only the audit of a request stored by an earlier version (which Keyv
 * still holds).
 */
export class SqliteRecords implements RequestRecords {
  constructor(
    private readonly db: SqliteConnection,
    private readonly namespace: string,
    private readonly trail: SqliteAuditTrail,
  ) {}

  async read(id: string): Promise<StoredRequest | undefined> {
    await this.tables();
    const [row] = await this.db.query(
      `SELECT body, version FROM ${TABLE} WHERE namespace = ? AND id = ?`,
      this.namespace,
      id,
    );
    if (typeof row?.body !== 'string') return undefined;
    return { body: row.body, version: Number(row.version) };
  }

  async write(id: string, expected: number, body: string, audit: AuditWrite | undefined): Promise<WriteOutcome> {
    const appended = audit === undefined ? `${TABLE}.audit` : `json_insert(${TABLE}.audit, '$[#]', json(?))`;
    const appending = audit === undefined ? [] : [audit.entry];
    await this.tables();
    // A write without an audit entry is one statement, atomic on its own; with one, the chain's entry joins it in
    // a transaction.
    const run = <T>(fn: (query: SqliteQueryFn) => Promise<T>) => (audit ? this.db.transaction(fn) : fn(this.db.query));
    return run(async (query) => {
      // From 0 the row may be missing (a new request, or one only Keyv holds): insert it, or move an audit-only row.
      const rows =
        expected === 0
          ? await query(
              `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES (?, ?, 1, ?, json(?))
               ON CONFLICT(namespace, id) DO UPDATE SET version = 1, body = excluded.body, audit = ${appended}
               WHERE ${TABLE}.version = 0
               RETURNING version`,
              this.namespace,
              id,
              body,
              audit === undefined ? '[]' : `[${audit.entry}]`,
              ...appending,
            )
          : await query(
              `UPDATE ${TABLE} SET version = version + 1, body = ?, audit = ${appended}
               WHERE namespace = ? AND id = ? AND version = ?
               RETURNING version`,
              body,
              ...appending,
              this.namespace,
              id,
              expected,
            );
      if (rows.length !== 1) {
        const [current] = await query(
          `SELECT version FROM ${TABLE} WHERE namespace = ? AND id = ?`,
          this.namespace,
          id,
        );
        return { kind: 'conflict', found: Number(current?.version ?? 0) } as const;
      }
      if (audit) await this.trail.appendIn(query, audit.chain.chain, audit.chain.facts);
      return { kind: 'written', version: Number(rows[0]?.version) } as const;
    });
  }

  async appendAudit(id: string, audit: AuditWrite): Promise<void> {
    await this.tables();
    await this.db.transaction(async (query) => {
      await this.appendLogIn(query, id, audit.entry);
      await this.trail.appendIn(query, audit.chain.chain, audit.chain.facts);
    });
  }

  async appendLog(id: string, entry: string): Promise<void> {
    await this.tables();
    await this.appendLogIn(this.db.query, id, entry);
  }

  /** Appends to a record's own log, making an audit-only row (version 0, no body) for a record it has not seen. */
  private async appendLogIn(query: SqliteQueryFn, id: string, entry: string): Promise<void> {
    await query(
      `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES (?, ?, 0, NULL, json_array(json(?)))
       ON CONFLICT(namespace, id) DO UPDATE SET audit = json_insert(${TABLE}.audit, '$[#]', json(?))`,
      this.namespace,
      id,
      entry,
      entry,
    );
  }

  async auditOf(id: string): Promise<string[]> {
    await this.tables();
    const [row] = await this.db.query(`SELECT audit FROM ${TABLE} WHERE namespace = ? AND id = ?`, this.namespace, id);
    const entries = JSON.parse(typeof row?.audit === 'string' ? row.audit : '[]') as unknown[];
    return entries.map((entry) => JSON.stringify(entry));
  }

  /** One multi-row INSERT per batch: a statement is its own transaction, so each batch costs one commit. */
  async createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    await this.tables();
    for (const batch of batches(records)) {
      await this.db.query(
        `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES ${batch.map(() => "(?, ?, 1, ?, '[]')").join(', ')}`,
        ...batch.flatMap(({ id, body }) => [this.namespace, id, body]),
      );
    }
  }

  /** Creates the tables once, outside any transaction. */
  private async tables(): Promise<void> {
    await this.createTable();
    await this.trail.ready();
  }

  private readonly createTable = createdOnce(() =>
    this.db.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         namespace TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT,
         audit TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (namespace, id))`,
    ),
  );
}

/** The Redis commands the records need; @redis/client's client fits. */
export interface RedisRecordsClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
}

/** The Lua that checks the writer's locks (KEYS[first…], tokens from ARGV[first + shift]) and the version. */
const checkLocksAndVersion = (first: number, shift: number) => `
for i = ${first}, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[i + ${shift}] then return {'lock-lost', i} end
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return {'conflict', version} end`;

/**
 * KEYS: the request's hash, its audit list, then the locks the writer holds. ARGV: the expected version, the body,
 * '' (no audit entry), then each lock's token. Checks the locks, then the version; writes the request or nothing.
 */
const TRANSITION_SCRIPT = `${checkLocksAndVersion(3, 1)}
redis.call('HSET', KEYS[1], 'body', ARGV[2], 'version', version + 1)
return {'written', version + 1}`;

/** KEYS: new records' hashes; ARGV: their bodies. Each is stored at version 1. */
const CREATE_SCRIPT = `
for i = 1, #KEYS do redis.call('HSET', KEYS[i], 'body', ARGV[i], 'version', 1) end
return #KEYS`;

/**
 * KEYS: the request's hash, its audit list, the chain's three keys, then the locks. ARGV: the expected version,
 * the body, the audit entry, the chain's five arguments, then each lock's token. Checks the locks, the version and
 * the chain's head; writes the request, its audit entry and the chain's next entry, or nothing.
 */
const AUDITED_TRANSITION_SCRIPT = `${checkLocksAndVersion(6, 3)}${chainCheckLua(3, 4)}
redis.call('HSET', KEYS[1], 'body', ARGV[2], 'version', version + 1)
redis.call('RPUSH', KEYS[2], ARGV[3])${chainWriteLua(3, 4)}
return {'written', version + 1}`;

/** KEYS: the request's audit list, the chain's three keys. ARGV: the entry, the chain's five arguments. */
const APPEND_AUDIT_SCRIPT = `${chainCheckLua(2, 2)}
redis.call('RPUSH', KEYS[1], ARGV[1])${chainWriteLua(2, 2)}
return {'written', headSeq + 1}`;

/**
 * For Redis: a hash per request (body, version) and a list per audit log. A transition is one Lua script, which
 * Redis runs without interleaving anything: it checks that the writer still holds its locks, that the version is
 * the one read and that the account's chain still ends where its entry was sealed, then writes the request, appends
 * the audit entry and moves the chain on.
 */
export class RedisRecords implements RequestRecords {
  constructor(
    private readonly client: RedisRecordsClient,
    private readonly prefix: string,
    private readonly trail: RedisAuditTrail,
  ) {}

  async read(id: string): Promise<StoredRequest | undefined> {
    const [body, version] = await this.client.hmGet(this.requestKey(id), ['body', 'version']);
    return typeof body === 'string' ? { body, version: Number(version ?? 0) } : undefined;
  }

  async write(
    id: string,
    expected: number,
    body: string,
    audit: AuditWrite | undefined,
    fences: Fence[],
  ): Promise<WriteOutcome> {
    const lockKeys = fences.map((fence) => fence.redisKey);
    const tokens = fences.map((fence) => fence.token);
    let reply: [string, number];
    let firstLock = 3;
    if (audit) {
      firstLock = 6;
      const { chain, facts } = audit.chain;
      ({ reply } = await this.trail.appendWith(
        chain,
        facts,
        async (chainArguments) =>
          (await this.client.eval(AUDITED_TRANSITION_SCRIPT, {
            keys: [this.requestKey(id), this.auditKey(id), ...this.trail.keysOf(chain), ...lockKeys],
            arguments: [String(expected), body, audit.entry, ...chainArguments, ...tokens],
          })) as [string, number],
      ));
    } else {
      reply = (await this.client.eval(TRANSITION_SCRIPT, {
        keys: [this.requestKey(id), this.auditKey(id), ...lockKeys],
        arguments: [String(expected), body, '', ...tokens],
      })) as [string, number];
    }
    const [kind, value] = reply;
    if (kind === 'written') return { kind, version: Number(value) };
    if (kind === 'conflict') return { kind, found: Number(value) };
    const fence = fences[Number(value) - firstLock];
    if (!fence) throw new LockLostError(`request:${id}`);
    return { kind: 'lock-lost', redisKey: fence.redisKey };
  }

  async appendAudit(id: string, audit: AuditWrite): Promise<void> {
    const { chain, facts } = audit.chain;
    await this.trail.appendWith(
      chain,
      facts,
      async (chainArguments) =>
        (await this.client.eval(APPEND_AUDIT_SCRIPT, {
          keys: [this.auditKey(id), ...this.trail.keysOf(chain)],
          arguments: [audit.entry, ...chainArguments],
        })) as string[],
    );
  }

  async appendLog(id: string, entry: string): Promise<void> {
    await this.client.eval("return redis.call('RPUSH', KEYS[1], ARGV[1])", {
      keys: [this.auditKey(id)],
      arguments: [entry],
    });
  }

  auditOf(id: string): Promise<string[]> {
    return this.client.lRange(this.auditKey(id), 0, -1);
  }

  /** One script per batch: Redis runs it as one step. */
  async createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    for (const batch of batches(records)) {
      await this.client.eval(CREATE_SCRIPT, {
        keys: batch.map(({ id }) => this.requestKey(id)),
        arguments: batch.map(({ body }) => body),
      });
    }
  }

  private requestKey(id: string): string {
    return `${this.prefix}request:${id}`;
  }

  private auditKey(id: string): string {
    return `${this.prefix}audit:${id}`;
  }
}
