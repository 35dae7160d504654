import type { GraphClient } from '../graph/client.js';
import { GraphError } from '../graph/errors.js';
import type { AssignedAccount, AssignedUser } from '../graph/schemas.js';
import { normalizeTasks, type Task } from '../graph/tasks.js';
import type { BudgetState } from '../graph/usage.js';

export interface Roster {
  users: AssignedUser[];
  totalCount?: number;
  /** When Graph was asked for it (ISO 8601). The bot's own writes patch a roster but keep this. */
  readAt: string;
}

/** A change the bot made to one user: their tasks now, or null when they were removed. */
interface Patch {
  userId: string;
  tasks: Task[] | null;
}

/** A roster read under way: our writes that succeed meanwhile, or whether one failed (outcome unknown). */
interface ReadUnderWay {
  patches: Patch[];
  spoiled: boolean;
}

/**
 * One WABA's user assignments, as the access domain needs them. Reads of the roster are cached briefly because
 * `assigned_users` shares a budget of 200 calls an hour per WABA; every write, and every read before a write,
 * goes to Graph. The bot's own writes patch the cached roster instead of dropping it, so a list right after an
 * approval costs nothing and shows the change.
 */
export class WabaAccess {
  /** The last roster read (patched by our writes since), whatever its age; normal reads use it for `cacheMs`. */
  private last?: { roster: Roster; at: number };
  /** The roster read under way; every reader that does not need a fresh read shares it. */
  private current?: Promise<Roster>;
  /** The read that starts once `current` ends; fresh readers who arrive meanwhile share it. */
  private next?: Promise<Roster>;
  /** Reads under way, told of every write that ends while they run. */
  private readonly underWay = new Set<ReadUnderWay>();

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
      const cached = this.cachedRoster();
      if (cached) return cached;
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

  /** The roster a normal read would get without calling Graph, if any. */
  cachedRoster(): Roster | undefined {
    return this.last && this.now() - this.last.at < this.cacheMs ? this.last.roster : undefined;
  }

  /** The last roster read, however old (patched by the bot's writes since); undefined before the first read. */
  lastRoster(): Roster | undefined {
    return this.last?.roster;
  }

  /** Meta's last usage readings for this WABA and whether calls about it are held (this process only). */
  budget(): BudgetState {
    return this.graph.budget(this.wabaId);
  }

  private startNext(): Promise<Roster> {
    this.next = undefined;
    return this.current ?? this.startRead();
  }

  private startRead(): Promise<Roster> {
    const startedAt = this.now();
    const state: ReadUnderWay = { patches: [], spoiled: false };
    this.underWay.add(state);
    const read = this.graph
      .listAssignedUsers({ wabaId: this.wabaId, businessId: this.businessId })
      .then((page) => {
        // Graph may have answered before or after a write that ended meanwhile; replaying it is right either way.
        let roster: Roster = {
          users: page.users,
          ...(page.totalCount === undefined ? {} : { totalCount: page.totalCount }),
          readAt: new Date(startedAt).toISOString(),
        };
        for (const patch of state.patches) roster = patched(roster, patch);
        if (!state.spoiled) this.last = { roster, at: startedAt };
        return roster;
      })
      .finally(() => {
        this.underWay.delete(state);
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
    if (!before || after.length !== before.length) await this.write(userId, after);
    return { before, after };
  }

  /** Removes the user with all their tasks. Returns what they held (null: nothing to remove, nothing sent). */
  async removeUser(userId: string): Promise<Task[] | null> {
    const current = await this.currentAccess(userId, { fresh: true });
    if (!current) return null;
    await this.write(userId, null);
    return current.tasks;
  }

  /** Gives the user exactly `tasks` (null: removes them). */
  async setTasks(userId: string, tasks: readonly Task[] | null): Promise<void> {
    await this.write(userId, tasks);
  }

  /**
   * Sends one change to Graph. Once Graph confirms it, the cached roster and the reads under way are patched; when
   * it fails, whether it landed is unknown, so the cache is dropped and reads under way are not cached.
   */
  private async write(userId: string, tasks: readonly Task[] | null): Promise<void> {
    try {
      if (tasks === null) await this.graph.removeUser({ wabaId: this.wabaId, userId });
      else await this.graph.assignUser({ wabaId: this.wabaId, userId, tasks });
    } catch (error) {
      this.last = undefined;
      for (const read of this.underWay) read.spoiled = true;
      throw error;
    }
    const patch: Patch = { userId, tasks: tasks === null ? null : normalizeTasks(tasks) };
    if (this.last) this.last = { roster: patched(this.last.roster, patch), at: this.last.at };
    for (const read of this.underWay) read.patches.push(patch);
  }
}

/**
 * The roster with one user's change applied, as a new object: pages being built from the old one stay consistent.
 * A user the roster did not have is added without a name, which the next read fills in.
 */
function patched(roster: Roster, { userId, tasks }: Patch): Roster {
  const index = roster.users.findIndex((user) => user.id === userId);
  if (tasks === null && index < 0) return roster;
  const users = roster.users.slice();
  let added = 0;
  if (tasks === null) {
    users.splice(index, 1);
    added = -1;
  } else if (index >= 0) {
    users[index] = { ...users[index]!, tasks };
  } else {
    users.push({ id: userId, name: '', tasks });
    added = 1;
  }
  return {
    ...roster,
    users,
    ...(roster.totalCount === undefined ? {} : { totalCount: Math.max(0, roster.totalCount + added) }),
  };
}
