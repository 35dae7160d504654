import type { GraphClient } from '../graph/client.js';
import { GraphError } from '../graph/errors.js';
import type { AssignedAccount, AssignedUser } from '../graph/schemas.js';
import type { BudgetState } from '../graph/usage.js';
import { normalizeTasks, type Task } from './tasks.js';
import { currentWriteCause, type WriteJournal } from './write-journal.js';

/** A user's own edge could not say what they hold, and the roster was not to be read in its place. */
export class PersonEdgeError extends Error {
  constructor(readonly why: string) {
    super(`Meta did not say what this person holds (${why}).`);
    this.name = 'PersonEdgeError';
  }
}

/** What one person holds on a WABA. */
export type PersonAccess =
  | { kind: 'holds'; tasks: Task[]; name?: string }
  | { kind: 'none' }
  /** Meta does not know a business user with this id. */
  | { kind: 'unknown-user' };

/** The fields a person's read needs: which WABA, and the tasks held on it. */
const PERSON_FIELDS = ['id', 'permissions'] as const;

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
 * One WABA's user assignments, as the access domain needs them. `assigned_users` shares a budget of 200 calls an
 * hour per WABA, so one person's access is read on their own edge (one call, whatever the roster size), and reads
 * of the whole roster are cached briefly. Every write, and every read before a write, goes to Graph. The bot's own
 * writes patch the cached roster instead of dropping it, so a list right after an approval costs nothing and shows
 * the change.
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
  /** Names Meta gave users in roster reads: the user's edge does not carry them. Shown, never decided on. */
  private readonly names = new Map<string, string>();
  /** Whether the roster has stood in for the user's edge yet (logged once). */
  private fellBack = false;

  constructor(
    private readonly graph: GraphClient,
    readonly wabaId: string,
    private readonly businessId: string,
    private readonly cacheMs = 30_000,
    private readonly now: () => number = Date.now,
    private readonly log?: (obj: object, msg: string) => void,
    /** Where each write is recorded before it is sent, so the drift check can tell the bot's changes from others'. */
    private readonly journal?: WriteJournal,
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
        for (const user of page.users) if (user.name) this.names.set(user.id, user.name);
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

  /**
   * What one person holds on this WABA, read afresh on the person's own edge: one call, whatever the roster size,
   * and outside the WABA's `assigned_users` budget. When that edge cannot answer for this WABA (Graph refuses it, or
   * leaves out `permissions`), the roster is read instead. Throttles and outages are thrown: a roster read then would
   * only spend more of the budget.
   */
  async personAccess(userId: string, { orRoster = true }: { orRoster?: boolean } = {}): Promise<PersonAccess> {
    let accounts: AssignedAccount[];
    try {
      accounts = await this.graph.listAssignedAccounts({ userId, fields: PERSON_FIELDS });
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      if (error.category === 'not_found') return { kind: 'unknown-user' };
      if (error.retryable || error.category === 'auth') throw error;
      return this.personFromRoster(userId, `the user’s edge failed: ${error.message}`, orRoster);
    }
    const here = accounts.find((account) => account.id === this.wabaId);
    if (!here) return { kind: 'none' };
    if (!here.permissions) return this.personFromRoster(userId, 'the user’s edge left out permissions', orRoster);
    const name = this.cachedName(userId);
    return { kind: 'holds', tasks: normalizeTasks(here.permissions), ...(name ? { name } : {}) };
  }

  /**
   * The roster standing in for a user's edge that cannot answer — only where a write depends on it (`orRoster`):
   * it costs a page per 100 people, so a preview says it does not know instead.
   */
  private async personFromRoster(userId: string, why: string, orRoster: boolean): Promise<PersonAccess> {
    if (!orRoster) throw new PersonEdgeError(why);
    if (!this.fellBack) {
      this.fellBack = true;
      this.log?.({ wabaId: this.wabaId, why }, 'reading access from the roster instead of the user’s edge');
    }
    const user = (await this.roster({ fresh: true })).users.find((candidate) => candidate.id === userId);
    if (user) return { kind: 'holds', tasks: normalizeTasks(user.tasks), ...(user.name ? { name: user.name } : {}) };
    return { kind: 'none' };
  }

  /** The name Meta gave this user in a roster read, if the bot has read one since it started. */
  private cachedName(userId: string): string | undefined {
    return this.names.get(userId);
  }

  /** The user's tasks on this WABA (a fresh read), or null when they have no access or Meta does not know them. */
  async currentAccess(userId: string): Promise<{ tasks: Task[]; name?: string } | null> {
    const access = await this.personAccess(userId);
    return access.kind === 'holds' ? access : null;
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
    const current = await this.currentAccess(userId);
    const before = current?.tasks ?? null;
    const after = normalizeTasks([...(before ?? []), ...tasks]);
    if (!before || after.length !== before.length) await this.write(userId, after);
    return { before, after };
  }

  /** Removes the user with all their tasks. Returns what they held (null: nothing to remove, nothing sent). */
  async removeUser(userId: string): Promise<Task[] | null> {
    const current = await this.currentAccess(userId);
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
    const settle = await this.journal?.begin(this.wabaId, userId, tasks, currentWriteCause());
    try {
      if (tasks === null) await this.graph.removeUser({ wabaId: this.wabaId, userId });
      else await this.graph.assignUser({ wabaId: this.wabaId, userId, tasks });
    } catch (error) {
      this.last = undefined;
      for (const read of this.underWay) read.spoiled = true;
      await this.settleJournal(settle, 'unknown');
      throw error;
    }
    const patch: Patch = { userId, tasks: tasks === null ? null : normalizeTasks(tasks) };
    if (this.last) this.last = { roster: patched(this.last.roster, patch), at: this.last.at };
    for (const read of this.underWay) read.patches.push(patch);
    await this.settleJournal(settle, 'done');
  }

  /**
   * Records how a write ended. A failure here is logged, not thrown: the write's outcome stands either way, and the
   * drift check leaves a user whose write it cannot place unjudged once.
   */
  private async settleJournal(
    settle: ((outcome: 'done' | 'unknown') => Promise<void>) | undefined,
    outcome: 'done' | 'unknown',
  ): Promise<void> {
    try {
      await settle?.(outcome);
    } catch (error) {
      this.log?.({ err: error, wabaId: this.wabaId }, 'could not record how a write to Meta ended');
    }
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
