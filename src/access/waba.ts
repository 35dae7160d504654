import type { GraphClient } from '../graph/client.js';
import { GraphError } from '../graph/errors.js';
import type { AssignedAccount, AssignedUser } from '../graph/schemas.js';
import { normalizeTasks, type Task } from '../graph/tasks.js';

export interface Roster {
  users: AssignedUser[];
  totalCount?: number;
}

/**
 * One WABA's user assignments, as the access domain needs them. Reads of the roster are cached briefly because
 * `assigned_users` shares a budget of 200 calls an hour per WABA; every write, and every read before a write,
 * goes to Graph.
 */
export class WabaAccess {
  private cached?: { roster: Roster; at: number };
  /** The roster read under way; every reader that does not need a fresh read shares it. */
  private current?: Promise<Roster>;
  /** The read that starts once `current` ends; fresh readers who arrive meanwhile share it. */
  private next?: Promise<Roster>;
  /** Counts our writes, so a read that overlapped one is not cached. */
  private writes = 0;

  constructor(
    private readonly graph: GraphClient,
    readonly wabaId: string,
    private readonly businessId: string,
    private readonly cacheMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The roster. A normal read may be up to `cacheMs` old. A fresh read reflects every change made before it was
   * asked for: it never joins a read that was already under way, but waits for the next one, which all fresh
   * readers arriving in the meantime share — so a burst of approvals costs one paging at a time, not one each.
   */
  async roster(options: { fresh?: boolean } = {}): Promise<Roster> {
    if (!options.fresh) {
      if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.roster;
      return this.current ?? this.startRead();
    }
    if (!this.current) return this.startRead();
    const current = this.current;
    this.next ??= current.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<Roster> {
    this.next = undefined;
    return this.current ?? this.startRead();
  }

  private startRead(): Promise<Roster> {
    const startedAt = this.now();
    const writesBefore = this.writes;
    const read = this.graph
      .listAssignedUsers({ wabaId: this.wabaId, businessId: this.businessId })
      .then((roster) => {
        if (this.writes === writesBefore) this.cached = { roster, at: startedAt };
        return roster;
      })
      .finally(() => {
        if (this.current === read) this.current = undefined;
      });
    this.current = read;
    return read;
  }

  /** The user's tasks on this WABA, or null when they have no access. */
  async currentAccess(
    userId: string,
    options: { fresh?: boolean } = {},
  ): Promise<{ tasks: Task[]; name?: string } | null> {
    const user = (await this.roster(options)).users.find((candidate) => candidate.id === userId);
    return user ? { tasks: normalizeTasks(user.tasks), name: user.name || undefined } : null;
  }

  /** Whether Meta knows this user id at all (asked on the user's own edge, outside the WABA's budget). */
  async userExists(userId: string): Promise<boolean> {
    try {
      await this.graph.listAssignedAccounts({ userId, limit: 1 });
      return true;
    } catch (error) {
      if (error instanceof GraphError && error.category === 'not_found') return false;
      throw error;
    }
  }

  async accountsOf(userId: string): Promise<AssignedAccount[]> {
    return this.graph.listAssignedAccounts({ userId });
  }

  /**
   * Adds tasks to what the user holds now (a fresh read), never taking any away. Returns what the user held before
   * and holds after.
   */
  async addTasks(userId: string, tasks: readonly Task[]): Promise<{ before: Task[] | null; after: Task[] }> {
    const current = await this.currentAccess(userId, { fresh: true });
    const before = current?.tasks ?? null;
    const after = normalizeTasks([...(before ?? []), ...tasks]);
    if (!before || after.length !== before.length) await this.write(() => this.assignExactly(userId, after));
    return { before, after };
  }

  /** Removes the user with all their tasks. Returns what they held (null: nothing to remove, nothing sent). */
  async removeUser(userId: string): Promise<Task[] | null> {
    const current = await this.currentAccess(userId, { fresh: true });
    if (!current) return null;
    await this.write(() => this.graph.removeUser({ wabaId: this.wabaId, userId }));
    return current.tasks;
  }

  /** Gives the user exactly `tasks` (null: removes them). */
  async setTasks(userId: string, tasks: readonly Task[] | null): Promise<void> {
    await this.write(() =>
      tasks === null ? this.graph.removeUser({ wabaId: this.wabaId, userId }) : this.assignExactly(userId, tasks),
    );
  }

  private assignExactly(userId: string, tasks: readonly Task[]): Promise<void> {
    return this.graph.assignUser({ wabaId: this.wabaId, userId, tasks });
  }

  private async write(change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } finally {
      this.writes++;
      this.cached = undefined;
    }
  }
}
