import { LockLostError } from '../access/ports.js';

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

/**
 * Versioned request records and their audit logs, one backend per store. Every change is atomic in the store itself
 * (a statement, a script, or a step with no await in it), so replicas and a process's own concurrent work cannot
 * interleave a read and a write.
 */
export interface RequestRecords {
  read(id: string): Promise<StoredRequest | undefined>;
  /**
   * Stores `body` at version `expected + 1` if the stored version is `expected` (a missing record, or one an earlier
   * version wrote without a version, is at 0), appending `audit` in the same write. In Redis the write also checks
   * that every fence still holds its token.
   */
  write(id: string, expected: number, body: string, audit: string | undefined, fences: Fence[]): Promise<WriteOutcome>;
  appendAudit(id: string, entry: string): Promise<void>;
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

  async read(id: string): Promise<StoredRequest | undefined> {
    return this.requests.get(id);
  }

  async write(id: string, expected: number, body: string, audit: string | undefined): Promise<WriteOutcome> {
    const found = this.requests.get(id)?.version ?? 0;
    if (found !== expected) return { kind: 'conflict', found };
    this.requests.set(id, { body, version: expected + 1 });
    if (audit !== undefined) this.audits.set(id, [...(this.audits.get(id) ?? []), audit]);
    return { kind: 'written', version: expected + 1 };
  }

  async appendAudit(id: string, entry: string): Promise<void> {
    this.audits.set(id, [...(this.audits.get(id) ?? []), entry]);
  }

  async auditOf(id: string): Promise<string[]> {
    return [...(this.audits.get(id) ?? [])];
  }

  async createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    for (const { id, body } of records) this.requests.set(id, { body, version: 1 });
  }
}

/** The part of @keyv/sqlite's adapter used here: one statement on its connection, rows back. */
export interface SqliteQuery {
  query(sql: string, ...parameters: unknown[]): Promise<Array<Record<string, unknown>>>;
}

const TABLE = 'waba_requests';

/**
 * For SQLite: a table of its own beside Keyv's, in the same file and on the same connection. Each row holds a
 * request, its version and its audit log (a JSON array), so a transition is one upsert whose `WHERE version = ?`
 * decides, and whose audit append lands with it. A row without a body holds only the audit of a request stored
 * by an earlier version (which Keyv still holds).
 */
export class SqliteRecords implements RequestRecords {
  private ready?: Promise<unknown>;

  constructor(
    private readonly db: SqliteQuery,
    private readonly namespace: string,
  ) {}

  async read(id: string): Promise<StoredRequest | undefined> {
    const [row] = await this.query(`SELECT body, version FROM ${TABLE} WHERE namespace = ? AND id = ?`, [
      this.namespace,
      id,
    ]);
    if (typeof row?.body !== 'string') return undefined;
    return { body: row.body, version: Number(row.version) };
  }

  async write(id: string, expected: number, body: string, audit: string | undefined): Promise<WriteOutcome> {
    const appended = audit === undefined ? `${TABLE}.audit` : `json_insert(${TABLE}.audit, '$[#]', json(?))`;
    const appending = audit === undefined ? [] : [audit];
    // From 0 the row may be missing (a new request, or one only Keyv holds): insert it, or move an audit-only row.
    const rows =
      expected === 0
        ? await this.query(
            `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES (?, ?, 1, ?, json(?))
             ON CONFLICT(namespace, id) DO UPDATE SET version = 1, body = excluded.body, audit = ${appended}
             WHERE ${TABLE}.version = 0
             RETURNING version`,
            [this.namespace, id, body, audit === undefined ? '[]' : `[${audit}]`, ...appending],
          )
        : await this.query(
            `UPDATE ${TABLE} SET version = version + 1, body = ?, audit = ${appended}
             WHERE namespace = ? AND id = ? AND version = ?
             RETURNING version`,
            [body, ...appending, this.namespace, id, expected],
          );
    if (rows.length === 1) return { kind: 'written', version: Number(rows[0]?.version) };
    const current = await this.read(id);
    return { kind: 'conflict', found: current?.version ?? 0 };
  }

  async appendAudit(id: string, entry: string): Promise<void> {
    await this.query(
      `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES (?, ?, 0, NULL, json_array(json(?)))
       ON CONFLICT(namespace, id) DO UPDATE SET audit = json_insert(${TABLE}.audit, '$[#]', json(?))`,
      [this.namespace, id, entry, entry],
    );
  }

  async auditOf(id: string): Promise<string[]> {
    const [row] = await this.query(`SELECT audit FROM ${TABLE} WHERE namespace = ? AND id = ?`, [this.namespace, id]);
    const entries = JSON.parse(typeof row?.audit === 'string' ? row.audit : '[]') as unknown[];
    return entries.map((entry) => JSON.stringify(entry));
  }

  /** One multi-row INSERT per batch: a statement is its own transaction, so each batch costs one commit. */
  async createAll(records: ReadonlyArray<{ id: string; body: string }>): Promise<void> {
    for (const batch of batches(records)) {
      await this.query(
        `INSERT INTO ${TABLE} (namespace, id, version, body, audit) VALUES ${batch.map(() => "(?, ?, 1, ?, '[]')").join(', ')}`,
        batch.flatMap(({ id, body }) => [this.namespace, id, body]),
      );
    }
  }

  private async query(sql: string, parameters: unknown[]): Promise<Array<Record<string, unknown>>> {
    this.ready ??= this.db
      .query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (
           namespace TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT,
           audit TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (namespace, id))`,
      )
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    await this.ready;
    return this.db.query(sql, ...parameters);
  }
}

/** The Redis commands the records need; @redis/client's client fits. */
export interface RedisRecordsClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  rPush(key: string, element: string): Promise<number>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
}

/**
 * KEYS: the request's hash, its audit list, then the locks the writer holds. ARGV: the expected version, the body,
 * the audit entry ('' for none), then each lock's token. Checks the locks, then the version; writes both or nothing.
 */
const TRANSITION_SCRIPT = `
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[i + 1] then return {'lock-lost', i} end
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return {'conflict', version} end
redis.call('HSET', KEYS[1], 'body', ARGV[2], 'version', version + 1)
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
return {'written', version + 1}`;

/** KEYS: new records' hashes; ARGV: their bodies. Each is stored at version 1. */
const CREATE_SCRIPT = `
for i = 1, #KEYS do redis.call('HSET', KEYS[i], 'body', ARGV[i], 'version', 1) end
return #KEYS`;

/**
 * For Redis: a hash per request (body, version) and a list per audit log. A transition is one Lua script, which
 * Redis runs without interleaving anything: it checks that the writer still holds its locks and that the version
 * is the one read, then writes the request and appends the audit entry.
 */
export class RedisRecords implements RequestRecords {
  constructor(
    private readonly client: RedisRecordsClient,
    private readonly prefix: string,
  ) {}

  async read(id: string): Promise<StoredRequest | undefined> {
    const [body, version] = await this.client.hmGet(this.requestKey(id), ['body', 'version']);
    return typeof body === 'string' ? { body, version: Number(version ?? 0) } : undefined;
  }

  async write(
    id: string,
    expected: number,
    body: string,
    audit: string | undefined,
    fences: Fence[],
  ): Promise<WriteOutcome> {
    const reply = (await this.client.eval(TRANSITION_SCRIPT, {
      keys: [this.requestKey(id), this.auditKey(id), ...fences.map((fence) => fence.redisKey)],
      arguments: [String(expected), body, audit ?? '', ...fences.map((fence) => fence.token)],
    })) as [string, number];
    const [kind, value] = reply;
    if (kind === 'written') return { kind, version: Number(value) };
    if (kind === 'conflict') return { kind, found: Number(value) };
    const fence = fences[Number(value) - 3];
    if (!fence) throw new LockLostError(`request:${id}`);
    return { kind: 'lock-lost', redisKey: fence.redisKey };
  }

  async appendAudit(id: string, entry: string): Promise<void> {
    await this.client.rPush(this.auditKey(id), entry);
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
