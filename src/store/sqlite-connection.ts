/** One statement on a SQLite connection, rows back (@keyv/sqlite's `query`). */
export type SqliteQueryFn = (sql: string, ...parameters: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * The bot's one SQLite connection, shared by single statements (Keyv's and the records') and transactions. A
 * statement on a connection inside a transaction would become part of it, so a transaction waits until the
 * statements under way have finished and has the connection to itself until it commits; statements asked for
 * meanwhile wait for it.
 */
export class SqliteConnection {
  private running = 0;
  private idle?: () => void;
  /** Set while a transaction waits for the connection or holds it. */
  private exclusive?: Promise<void>;

  constructor(private readonly raw: SqliteQueryFn) {}

  /** Runs one statement (outside any transaction). */
  readonly query: SqliteQueryFn = async (sql, ...parameters) => {
    while (this.exclusive) await this.exclusive;
    this.running++;
    try {
      return await this.raw(sql, ...parameters);
    } finally {
      this.running--;
      if (this.running === 0) this.idle?.();
    }
  };

  /**
   * Runs `fn` in a transaction (`BEGIN IMMEDIATE`, so no other process can write between its reads and its
   * writes): committed when `fn` returns, rolled back when it throws.
   */
  async transaction<T>(fn: (query: SqliteQueryFn) => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      if (this.running > 0) {
        await new Promise<void>((resolve) => {
          this.idle = resolve;
        });
      }
      this.idle = undefined;
      await this.raw('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.raw);
        await this.raw('COMMIT');
        return result;
      } catch (error) {
        await this.raw('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      this.exclusive = undefined;
      release();
    }
  }
}

/**
 * A table's creation, run the first time it is asked for and shared by everyone asking meanwhile; after a failure
 * (a file locked at start) the next ask runs it again.
 */
export function createdOnce(create: () => Promise<unknown>): () => Promise<unknown> {
  let created: Promise<unknown> | undefined;
  return () => {
    created ??= create().catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };
}
