import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import type { DirectoryStore } from '../access/directory.js';
import type { DriftStore } from '../access/drift-ports.js';
import type { Locker, RequestRepository } from '../access/ports.js';
import type { ReviewRepository } from '../access/review.js';
import type { AuditState, AuditTrail } from '../audit/trail.js';
import { KeyvAuditState, MemoryAuditTrail, RedisAuditTrail, SqliteAuditTrail } from './audit-chain.js';
import { KeyvDirectoryStore } from './directory.js';
import { KeyvDriftStore } from './drift.js';
import { type IdIndex, RedisIdIndex, SnapshotIdIndex } from './id-index.js';
import { InProcessLocker, RedisLocker } from './locks.js';
import { MemoryRecords, RedisRecords, type RequestRecords, SqliteRecords } from './request-records.js';
import { KeyvRequestRepository, type RepositoryIndexes, redisIndexes } from './requests.js';
import { RecordsReviewRepository, redisReviewIndex, snapshotReviewIndex } from './reviews.js';
import { SqliteConnection } from './sqlite-connection.js';

export interface Store {
  kind: 'sqlite' | 'redis' | 'memory';
  repository: RequestRepository;
  /** Access reviews, in records of their own beside the requests. */
  reviews: ReviewRepository;
  directory: DirectoryStore;
  /** Drift checks, digests and who had access when. */
  drift: DriftStore;
  locker: Locker;
  /** The hash-chained audit trail: one chain per account, and the global one. */
  auditTrail: AuditTrail;
  /** Durable state of the trail's readers (the webhook's cursor). */
  auditState: AuditState;
  /** Whether the store answers: for /healthz. */
  ping(): Promise<boolean>;
  /** How many requests are open and grants live, at a cost that does not grow with them: for /metrics. */
  counts(): Promise<{ openRequests: number; liveGrants: number }>;
  close(): Promise<void>;
}

export interface StoreLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const DEFAULT_NAMESPACE = 'waba-access';

/**
 * Opens the store named by STORE_URL: `sqlite://path` (one process; the default), `redis://…` (replicas share it,
 * with Redis locks), or `memory://` (tests; nothing survives a restart).
 */
export async function openStore(
  url: string,
  options: { namespace?: string; logger?: StoreLogger } = {},
): Promise<Store> {
  const { logger } = options;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return openRedis(url, namespace, logger);
  if (url.startsWith('sqlite://')) return openSqlite(url, namespace, logger);
  if (url.startsWith('memory://')) {
    logger?.warn({}, 'STORE_URL is memory://: requests are lost when the process stops. Use it for tests only.');
    const keyv = withErrorLog(new Keyv({ namespace, throwOnErrors: true }), logger);
    const trail = new MemoryAuditTrail();
    const reviews = new RecordsReviewRepository(new MemoryRecords(trail), snapshotReviewIndex(keyv));
    return fromKeyv(
      'memory',
      keyv,
      new InProcessLocker(),
      async () => undefined,
      new MemoryRecords(trail),
      trail,
      reviews,
    );
  }
  throw new Error(`STORE_URL must start with sqlite://, redis:// or memory://, got "${url.split(':')[0]}:…".`);
}

async function openSqlite(url: string, namespace: string, logger?: StoreLogger): Promise<Store> {
  const path = resolve(url.slice('sqlite://'.length));
  mkdirSync(dirname(path), { recursive: true });
  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 });
  // Keyv's statements and the records' transactions share the connection: a transaction has it to itself.
  const connection = new SqliteConnection(adapter.query);
  adapter.query = connection.query;
  // Write-ahead logging: a commit is one append and one sync of the log instead of a rollback journal's several
  // syncs, and readers do not wait for a writer. Still fully synchronous: a commit survives a crash.
  await connection.query('PRAGMA journal_mode=WAL');
  const keyv = withErrorLog(new Keyv({ store: adapter, namespace, throwOnErrors: true }), logger);
  const trail = new SqliteAuditTrail(connection, namespace);
  const records = new SqliteRecords(connection, namespace, trail);
  const reviews = new RecordsReviewRepository(
    new SqliteRecords(connection, `${namespace}/reviews`, trail),
    snapshotReviewIndex(keyv),
  );
  return fromKeyv('sqlite', keyv, new InProcessLocker(), () => adapter.disconnect(), records, trail, reviews);
}

async function openRedis(url: string, namespace: string, logger?: StoreLogger): Promise<Store> {
  const client = createClient({ url });
  client.on('error', (error: unknown) => logger?.error({ err: error }, 'redis connection error'));
  await client.connect();
  // The adapter swallows Redis errors and answers `undefined` unless told otherwise; a failed read must never look
  // like a missing key (an index read as empty and written back would lose every entry).
  const adapter = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
  const keyv = withErrorLog(new Keyv({ store: adapter, namespace, throwOnErrors: true }), logger);
  const locker = new RedisLocker(client, `${namespace}:lock:`);
  const indexes = redisIndexes(client, keyv, `${namespace}:set:`);
  const trail = new RedisAuditTrail(client, `${namespace}:`);
  const records = new RedisRecords(client, `${namespace}:`, trail);
  const reviews = new RecordsReviewRepository(
    new RedisRecords(client, `${namespace}:reviews:`, trail),
    redisReviewIndex(client, `${namespace}:set:`),
  );
  return fromKeyv(
    'redis',
    keyv,
    locker,
    async () => {
      await client.close();
    },
    records,
    trail,
    reviews,
    indexes,
    (name) => new RedisIdIndex(client, `${namespace}:set:${name}`),
  );
}

function fromKeyv(
  kind: Store['kind'],
  keyv: Keyv,
  locker: Locker,
  close: () => Promise<unknown>,
  records: RequestRecords,
  trail: AuditTrail,
  reviews: ReviewRepository,
  indexes?: RepositoryIndexes,
  newIndex: (name: string) => IdIndex = (name) => new SnapshotIdIndex(keyv, name),
): Store {
  const repository = new KeyvRequestRepository(keyv, records, indexes);
  return {
    kind,
    repository,
    reviews,
    directory: new KeyvDirectoryStore(keyv, locker, trail),
    drift: new KeyvDriftStore(keyv, records, newIndex),
    locker,
    auditTrail: trail,
    auditState: new KeyvAuditState(keyv),
    async ping() {
      try {
        await keyv.get('ping');
        return true;
      } catch {
        return false;
      }
    },
    counts: () => repository.counts(),
    async close() {
      await close();
    },
  };
}

function withErrorLog(keyv: Keyv, logger?: StoreLogger): Keyv {
  keyv.on('error', (error: unknown) => logger?.error({ err: error }, 'store error'));
  return keyv;
}
