import type Keyv from 'keyv';

/** A durable set of ids (open requests, live grants). Each change costs the same however many ids it holds. */
export interface IdIndex {
  add(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  members(): Promise<string[]>;
  /** How many ids it holds, without reading them (for monitoring). */
  size(): Promise<number>;
}

/** A durable list of the latest ids (recently finished requests), capped. */
export interface RecentIndex {
  /** Adds `id` as the newest member (moving it if present), dropping the oldest beyond `limit`. */
  touch(id: string, limit: number): Promise<void>;
  /** Oldest first. */
  members(): Promise<string[]>;
}

/**
 * For a store one process owns (SQLite, memory): the set lives in memory, loaded once, and is written through as
 * one key. Changes that arrive while a write is under way share the next write, so a burst costs two writes, not
 * one per change, and no change waits on a lock or reads the set back.
 */
export class SnapshotIdIndex implements IdIndex, RecentIndex {
  private ids?: Promise<Set<string>>;
  private writing?: Promise<void>;
  private next?: Promise<void>;

  constructor(
    private readonly keyv: Keyv,
    private readonly key: string,
  ) {}

  async add(id: string): Promise<void> {
    const ids = await this.load();
    if (ids.has(id)) return;
    ids.add(id);
    await this.persist();
  }

  async remove(id: string): Promise<void> {
    const ids = await this.load();
    if (!ids.delete(id)) return;
    await this.persist();
  }

  async members(): Promise<string[]> {
    return [...(await this.load())];
  }

  async size(): Promise<number> {
    return (await this.load()).size;
  }

  /** Adds `id` as the newest member (moving it if present), dropping the oldest beyond `limit`. */
  async touch(id: string, limit: number): Promise<void> {
    const ids = await this.load();
    ids.delete(id);
    ids.add(id);
    for (const oldest of ids) {
      if (ids.size <= limit) break;
      ids.delete(oldest);
    }
    await this.persist();
  }

  private load(): Promise<Set<string>> {
    this.ids ??= this.keyv.get(this.key).then(
      (value) => new Set((value as string[] | undefined) ?? []),
      (error: unknown) => {
        this.ids = undefined; // a failed read is retried by the next caller, never taken for an empty set
        throw error;
      },
    );
    return this.ids;
  }

  /** Resolves once a write holding every change made so far has finished. */
  private persist(): Promise<void> {
    if (this.next) return this.next;
    if (!this.writing) return this.write();
    this.next = this.writing
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.write();
      });
    return this.next;
  }

  private write(): Promise<void> {
    const done = this.load()
      .then((ids) => this.keyv.set(this.key, [...ids]))
      .then(() => undefined)
      .finally(() => {
        if (this.writing === done) this.writing = undefined;
      });
    this.writing = done;
    return done;
  }
}

/** The Redis set commands an index needs; @redis/client's client fits. */
export interface RedisSetClient {
  sAdd(key: string, members: string | string[]): Promise<number>;
  sRem(key: string, members: string | string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  sCard(key: string): Promise<number>;
  zAdd(key: string, member: { score: number; value: string }): Promise<number>;
  zRemRangeByRank(key: string, start: number, stop: number): Promise<number>;
  zRange(key: string, start: number, stop: number): Promise<string[]>;
}

/**
 * For replicas sharing Redis, an ordered index (recent requests): a sorted set scored by time, trimmed to its
 * newest `limit` members.
 */
export class RedisRecentIndex implements RecentIndex {
  constructor(
    private readonly client: RedisSetClient,
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {}

  members(): Promise<string[]> {
    return this.client.zRange(this.key, 0, -1);
  }

  async touch(id: string, limit: number): Promise<void> {
    await this.client.zAdd(this.key, { score: this.now(), value: id });
    await this.client.zRemRangeByRank(this.key, 0, -limit - 1);
  }
}

/** For replicas sharing Redis: a native set, so adding and removing are single atomic commands. */
export class RedisIdIndex implements IdIndex {
  private migrated?: Promise<void>;

  constructor(
    private readonly client: RedisSetClient,
    private readonly key: string,
    /** Where an earlier version kept the set, as one JSON array, to be moved once. */
    private readonly legacy?: { keyv: Keyv; key: string },
  ) {}

  async add(id: string): Promise<void> {
    await this.migrate();
    await this.client.sAdd(this.key, id);
  }

  async remove(id: string): Promise<void> {
    await this.migrate();
    await this.client.sRem(this.key, id);
  }

  async members(): Promise<string[]> {
    await this.migrate();
    return this.client.sMembers(this.key);
  }

  async size(): Promise<number> {
    await this.migrate();
    return this.client.sCard(this.key);
  }

  private migrate(): Promise<void> {
    this.migrated ??= (async () => {
      if (!this.legacy) return;
      const ids = (await this.legacy.keyv.get(this.legacy.key)) as string[] | undefined;
      if (ids?.length) await this.client.sAdd(this.key, ids);
      if (ids) await this.legacy.keyv.delete(this.legacy.key);
    })().catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }
}
