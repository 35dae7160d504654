import type Keyv from 'keyv';
import { type AuditFacts, type AuditRecord, type ChainHead, lineOf, type StoredLine, seal } from '../audit/chain.js';
import type { AuditState, AuditTrail } from '../audit/trail.js';
import { createdOnce, type SqliteConnection, type SqliteQueryFn } from './sqlite-connection.js';

/** An entry to append to a chain in the same write as something else (a request's transition). */
export interface ChainAppend {
  chain: string;
  facts: AuditFacts;
}

/** For memory://: chains in process; an append runs without an await, so nothing interleaves with it. */
export class MemoryAuditTrail implements AuditTrail {
  private readonly entries = new Map<string, string[]>();
  private readonly heads = new Map<string, ChainHead>();

  /** Appends at once (for a write that must not await between its parts). */
  appendNow(chain: string, facts: AuditFacts): AuditRecord {
    const record = seal(chain, facts, this.heads.get(chain));
    this.entries.set(chain, [...(this.entries.get(chain) ?? []), lineOf(record)]);
    this.heads.set(chain, { seq: record.seq, hash: record.hash });
    return record;
  }

  async append(chain: string, facts: AuditFacts): Promise<AuditRecord> {
    return this.appendNow(chain, facts);
  }

  async chains(): Promise<string[]> {
    return [...this.entries.keys()];
  }

  async head(chain: string): Promise<ChainHead | undefined> {
    return this.heads.get(chain);
  }

  async lines(chain: string, afterSeq: number, limit: number): Promise<StoredLine[]> {
    return (this.entries.get(chain) ?? [])
      .slice(afterSeq, afterSeq + limit)
      .map((text, index) => ({ seq: afterSeq + index + 1, text }));
  }
}

const ENTRIES = 'waba_audit';
const HEADS = 'waba_audit_heads';

/**
 * For SQLite: a table of entries (one row per entry, keyed by chain and number) and a table of heads, in the same
 * file as the requests. An append is part of a transaction: it reads the head, writes the entry after it and moves
 * the head, so the entry lands with whatever else the transaction writes, or not at all.
 */
export class SqliteAuditTrail implements AuditTrail {
  constructor(
    private readonly db: SqliteConnection,
    private readonly namespace: string,
  ) {}

  /** Creates the tables once (outside any transaction). */
  readonly ready = createdOnce(async () => {
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS ${ENTRIES} (
         namespace TEXT NOT NULL, chain TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL,
         PRIMARY KEY (namespace, chain, seq))`,
    );
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS ${HEADS} (
         namespace TEXT NOT NULL, chain TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL,
         PRIMARY KEY (namespace, chain))`,
    );
  });

  /** Appends inside a transaction the caller holds (`query` is the transaction's). */
  async appendIn(query: SqliteQueryFn, chain: string, facts: AuditFacts): Promise<AuditRecord> {
    const record = seal(chain, facts, await this.headIn(query, chain));
    await query(
      `INSERT INTO ${ENTRIES} (namespace, chain, seq, record) VALUES (?, ?, ?, ?)`,
      this.namespace,
      chain,
      record.seq,
      lineOf(record),
    );
    await query(
      `INSERT INTO ${HEADS} (namespace, chain, seq, hash) VALUES (?, ?, ?, ?)
       ON CONFLICT(namespace, chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      this.namespace,
      chain,
      record.seq,
      record.hash,
    );
    return record;
  }

  async append(chain: string, facts: AuditFacts): Promise<AuditRecord> {
    await this.ready();
    return this.db.transaction((query) => this.appendIn(query, chain, facts));
  }

  async chains(): Promise<string[]> {
    await this.ready();
    const rows = await this.db.query(`SELECT chain FROM ${HEADS} WHERE namespace = ?`, this.namespace);
    return rows.map((row) => String(row.chain));
  }

  async head(chain: string): Promise<ChainHead | undefined> {
    await this.ready();
    return this.headIn(this.db.query, chain);
  }

  private async headIn(query: SqliteQueryFn, chain: string): Promise<ChainHead | undefined> {
    const [row] = await query(
      `SELECT seq, hash FROM ${HEADS} WHERE namespace = ? AND chain = ?`,
      this.namespace,
      chain,
    );
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
  }

  async lines(chain: string, afterSeq: number, limit: number): Promise<StoredLine[]> {
    await this.ready();
    const rows = await this.db.query(
      `SELECT seq, record FROM ${ENTRIES} WHERE namespace = ? AND chain = ? AND seq > ? ORDER BY seq LIMIT ?`,
      this.namespace,
      chain,
      afterSeq,
      limit,
    );
    return rows.map((row) => ({ seq: Number(row.seq), text: String(row.record) }));
  }
}

/** The Redis commands the trail needs; @redis/client's client fits. */
export interface RedisAuditClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  sMembers(key: string): Promise<string[]>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
}

/**
 * Lua that appends to a chain, for a script whose KEYS[k], KEYS[k+1], KEYS[k+2] are the chain's list, its head and
 * the set of chains, and whose ARGV[a] … ARGV[a+4] are the chain's name, the head the entry was sealed after (its
 * number, and its hash or ''), the entry and its hash. Returns {'chain-moved', seq, hash} when the head is no longer
 * the one the entry was sealed after; the script then writes nothing.
 */
export function chainCheckLua(k: number, a: number): string {
  return `
local head = redis.call('HMGET', KEYS[${k + 1}], 'seq', 'hash')
local headSeq = tonumber(head[1] or '0')
local headHash = head[2] or ''
if headSeq ~= tonumber(ARGV[${a + 1}]) or headHash ~= ARGV[${a + 2}] then
  return {'chain-moved', headSeq, headHash}
end`;
}

/** Lua that writes the entry checked by `chainCheckLua` (same KEYS and ARGV positions). */
export function chainWriteLua(k: number, a: number): string {
  return `
redis.call('RPUSH', KEYS[${k}], ARGV[${a + 3}])
redis.call('HSET', KEYS[${k + 1}], 'seq', headSeq + 1, 'hash', ARGV[${a + 4}])
redis.call('SADD', KEYS[${k + 2}], ARGV[${a}])`;
}

const APPEND_SCRIPT = `${chainCheckLua(1, 1)}${chainWriteLua(1, 1)}
return {'written', headSeq + 1}`;

/** A Redis script's answer about a chain: written, or the head it found instead. */
type ChainReply = [string, number, string?];

/** Appends are retried this often when other writers move the head first; each retry starts from the head found. */
const MAX_ATTEMPTS = 1_000;

/**
 * For Redis: a list of entries per chain, a hash with its head, and a set of chain names. An append is a Lua
 * script: it checks that the head is still the one the entry was sealed after and writes both, or answers the head
 * it found, from which the entry is sealed again. Replicas share the chain; each keeps the last head it saw, so an
 * append usually takes one round trip.
 */
export class RedisAuditTrail implements AuditTrail {
  private readonly known = new Map<string, ChainHead | undefined>();

  constructor(
    private readonly client: RedisAuditClient,
    private readonly prefix: string,
  ) {}

  /** The keys of a chain, as `chainCheckLua` expects them. */
  keysOf(chain: string): string[] {
    return [`${this.prefix}audit-chain:${chain}`, `${this.prefix}audit-head:${chain}`, `${this.prefix}audit-chains`];
  }

  /**
   * Seals an entry after the chain's head as last seen and runs `attempt` with the script arguments for it, again
   * from the head found whenever the script answers that the chain moved. Returns the record and the reply.
   */
  async appendWith<R extends unknown[]>(
    chain: string,
    facts: AuditFacts,
    attempt: (chainArguments: string[]) => Promise<R>,
  ): Promise<{ record: AuditRecord; reply: R }> {
    let head = this.known.has(chain) ? this.known.get(chain) : await this.head(chain);
    for (let tries = 1; ; tries++) {
      const record = seal(chain, facts, head);
      const reply = await attempt([chain, String(head?.seq ?? 0), head?.hash ?? '', lineOf(record), record.hash]);
      if (reply[0] !== 'chain-moved') {
        if (reply[0] === 'written') this.known.set(chain, { seq: record.seq, hash: record.hash });
        return { record, reply };
      }
      const [, seq, hash] = reply as unknown as ChainReply;
      head = Number(seq) > 0 ? { seq: Number(seq), hash: String(hash) } : undefined;
      this.known.set(chain, head);
      if (tries >= MAX_ATTEMPTS) throw new Error(`audit chain ${chain} kept moving: gave up after ${tries} attempts`);
    }
  }

  async append(chain: string, facts: AuditFacts): Promise<AuditRecord> {
    const { record } = await this.appendWith(
      chain,
      facts,
      async (args) =>
        (await this.client.eval(APPEND_SCRIPT, { keys: this.keysOf(chain), arguments: args })) as string[],
    );
    return record;
  }

  async chains(): Promise<string[]> {
    return this.client.sMembers(`${this.prefix}audit-chains`);
  }

  async head(chain: string): Promise<ChainHead | undefined> {
    const [seq, hash] = await this.client.hmGet(this.keysOf(chain)[1]!, ['seq', 'hash']);
    return seq && hash ? { seq: Number(seq), hash } : undefined;
  }

  async lines(chain: string, afterSeq: number, limit: number): Promise<StoredLine[]> {
    const texts = await this.client.lRange(this.keysOf(chain)[0]!, afterSeq, afterSeq + limit - 1);
    return texts.map((text, index) => ({ seq: afterSeq + index + 1, text }));
  }
}

/** Durable values for the trail's readers (the webhook's cursor), in the store's Keyv. */
export class KeyvAuditState implements AuditState {
  constructor(private readonly keyv: Keyv) {}

  get(key: string): Promise<unknown> {
    return this.keyv.get(`audit-state:${key}`);
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.keyv.set(`audit-state:${key}`, value);
  }
}
