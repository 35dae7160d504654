import { NO_PEOPLE, type PolicyPeople } from './accounts.js';
import { type Clock, type Locker, systemClock } from './ports.js';

/** A Slack person and the Meta business user they are, as an admin linked them. */
export interface PersonLink {
  slackId: string;
  metaUserId: string;
  by: string;
  at: string;
}

/** One change to who is who, as the audit trail keeps it. */
export interface LinkAuditEntry {
  at: string;
  /** Who made the change. */
  actor: string;
  event: 'linked' | 'unlinked';
  /** The person whose Meta user changed. */
  slackId: string;
  /** Their Meta user before and after the change; absent: none. */
  before?: string;
  after?: string;
  /** How the change was asked for, e.g. the command typed. */
  via: string;
  /** Set when the person lost their Meta user because it was linked to this other person. */
  movedTo?: string;
}

/** Whose history to read: a person's, or a Meta user's (every person it was linked to or from). */
export type LinkAuditKey = { slackId: string } | { metaUserId: string };

/** Where links live; each Slack person has at most one Meta user, and each Meta user at most one person. */
export interface DirectoryStore {
  linkOf(slackId: string): Promise<PersonLink | undefined>;
  linkOfMeta(metaUserId: string): Promise<PersonLink | undefined>;
  saveLink(link: PersonLink): Promise<void>;
  deleteLink(link: PersonLink): Promise<void>;
  /** Adds to the durable audit trail, findable by the person and by each Meta user it names. */
  appendLinkAudit(entry: LinkAuditEntry): Promise<void>;
  /** Oldest first. */
  linkAuditOf(key: LinkAuditKey): Promise<LinkAuditEntry[]>;
}

/** A change made: by whom, the link it made or removed, and what it replaced. */
export type LinkChange =
  | {
      kind: 'linked';
      by: string;
      link: PersonLink;
      /** The person's earlier link, to another Meta user. */
      previous?: PersonLink;
      /** Another person's link to the same Meta user, removed: one Meta user is one person. */
      displaced?: PersonLink;
    }
  | { kind: 'unlinked'; by: string; link: PersonLink };

/** Why someone may not change a link: not an admin, their own Slack person, or their own Meta user. */
export type LinkRefusal = 'not-admin' | 'self' | 'own-meta-user';

export type LinkResult =
  | LinkChange
  | { kind: 'not-linked'; slackId: string }
  /** `admins`: who may make the change instead (users and user groups). */
  | { kind: 'forbidden'; reason: LinkRefusal; admins: readonly string[] }
  | { kind: 'unknown-meta-user'; metaUserId: string }
  /** The policy file says who this person (or Meta user) is; only the file can change it. */
  | { kind: 'fixed'; metaUserId: string; slackId?: string; email?: string };

/** Where a Meta user's identity comes from: the policy file, or a link someone made (and when). */
export type PersonOrigin =
  | { kind: 'listed' }
  | { kind: 'linked'; by: string; at: string }
  /** The request named this person, but the Meta user is no longer linked to them. */
  | { kind: 'no-longer-linked'; slackId: string };

/** Tells the people who depend on links (the approvers) that one changed. */
export interface LinkNotifier {
  linkChanged(change: LinkChange): Promise<void>;
}

export interface DirectoryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Email addresses of Slack people, for policy entries that name people by email. */
export interface SlackEmails {
  emailOf(slackId: string): Promise<string | undefined>;
  slackIdOf(email: string): Promise<string | undefined>;
}

export interface DirectoryDeps {
  store: DirectoryStore;
  /** Who may link and unlink people. */
  isAdmin: (slackId: string) => Promise<boolean>;
  /** Who to name when someone else must make a change; default: nobody named. */
  admins?: () => readonly string[];
  /** Whether Meta knows a business user with this id (a link to a typo would send requests astray). */
  metaUserExists: (metaUserId: string) => Promise<boolean>;
  /** The policy file's entries (read on every lookup, so a reload takes effect at once). */
  fixed?: () => PolicyPeople;
  /** Needed for entries by email. */
  emails?: SlackEmails;
  /** Serialises changes, so each audit entry's before/after is exact (with replicas too). */
  locker?: Locker;
  notifier?: LinkNotifier;
  logger?: DirectoryLogger;
  clock?: Clock;
}

/** How a change was asked for when the caller does not say. */
const DEFAULT_VIA = 'link';
const LINKS_LOCK = 'people-links';

/**
 * Who is who: lets people name colleagues in Slack while Graph is called with Meta business-user ids. The policy
 * file's entries come first (by Slack id, then by the person's email); admins' links fill in the rest.
 */
export class Directory {
  private readonly clock: Clock;

  constructor(private readonly deps: DirectoryDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  private get fixed(): PolicyPeople {
    return this.deps.fixed?.() ?? NO_PEOPLE;
  }

  async metaIdOf(slackId: string): Promise<string | undefined> {
    return (
      this.fixed.bySlackId.get(slackId) ??
      (await this.deps.store.linkOf(slackId))?.metaUserId ??
      (await this.fixedByEmail(slackId))
    );
  }

  async slackIdOf(metaUserId: string): Promise<string | undefined> {
    const { bySlackId, byEmail } = this.fixed;
    const listed = keyOf(bySlackId, metaUserId);
    if (listed) return listed;
    const linked = (await this.deps.store.linkOfMeta(metaUserId))?.slackId;
    if (linked) return linked;
    const email = keyOf(byEmail, metaUserId);
    return email && this.deps.emails ? this.deps.emails.slackIdOf(email) : undefined;
  }

  /** The Meta user the policy file gives this person's email, if any. */
  private async fixedByEmail(slackId: string): Promise<string | undefined> {
    const { byEmail } = this.fixed;
    if (byEmail.size === 0 || !this.deps.emails) return undefined;
    const email = await this.deps.emails.emailOf(slackId);
    return email ? byEmail.get(email.toLowerCase()) : undefined;
  }

  /** Whether the policy file fixes who this person is, or which person this Meta user is. */
  private async isFixed(slackId: string, metaUserId?: string): Promise<LinkResult | undefined> {
    const { bySlackId, byEmail } = this.fixed;
    const fixedMeta = bySlackId.get(slackId) ?? (await this.fixedByEmail(slackId));
    if (fixedMeta) return { kind: 'fixed', slackId, metaUserId: fixedMeta };
    if (metaUserId === undefined) return undefined;
    const holder = keyOf(bySlackId, metaUserId);
    if (holder) return { kind: 'fixed', slackId: holder, metaUserId };
    const email = keyOf(byEmail, metaUserId);
    return email ? { kind: 'fixed', email, metaUserId } : undefined;
  }

  /**
   * Links a person to a Meta user, replacing the person's earlier link and any other person's link to that user.
   * `via` says how the change was asked for (the audit trail keeps it).
   */
  async link(slackId: string, metaUserId: string, by: string, via = DEFAULT_VIA): Promise<LinkResult> {
    const refused = await this.refusal(slackId, by, metaUserId);
    if (refused) return refused;
    const fixed = await this.isFixed(slackId, metaUserId);
    if (fixed) return fixed;
    if (!(await this.deps.metaUserExists(metaUserId))) return { kind: 'unknown-meta-user', metaUserId };
    const change = await this.serially(async (): Promise<LinkChange> => {
      const { store } = this.deps;
      const previous = await store.linkOf(slackId);
      const taken = await store.linkOfMeta(metaUserId);
      if (previous) await store.deleteLink(previous);
      const displaced = taken && taken.slackId !== slackId ? taken : undefined;
      if (displaced) await store.deleteLink(displaced);
      const link: PersonLink = { slackId, metaUserId, by, at: this.clock.now().toISOString() };
      await store.saveLink(link);
      await this.record({
        at: link.at,
        actor: by,
        event: 'linked',
        slackId,
        ...(previous ? { before: previous.metaUserId } : {}),
        after: metaUserId,
        via,
      });
      if (displaced)
        await this.record({
          at: link.at,
          actor: by,
          event: 'unlinked',
          slackId: displaced.slackId,
          before: metaUserId,
          via,
          movedTo: slackId,
        });
      const replaced = previous?.metaUserId !== metaUserId ? previous : undefined;
      return {
        kind: 'linked',
        by,
        link,
        ...(replaced ? { previous: replaced } : {}),
        ...(displaced ? { displaced } : {}),
      };
    });
    await this.announce(change);
    return change;
  }

  async unlink(slackId: string, by: string, via = DEFAULT_VIA): Promise<LinkResult> {
    const refused = await this.refusal(slackId, by);
    if (refused) return refused;
    const fixed = await this.isFixed(slackId);
    if (fixed) return fixed;
    const change = await this.serially(async (): Promise<LinkResult> => {
      const link = await this.deps.store.linkOf(slackId);
      if (!link) return { kind: 'not-linked', slackId };
      await this.deps.store.deleteLink(link);
      const at = this.clock.now().toISOString();
      await this.record({ at, actor: by, event: 'unlinked', slackId, before: link.metaUserId, via });
      return { kind: 'unlinked', by, link };
    });
    if (change.kind === 'unlinked') await this.announce(change);
    return change;
  }

  /** The audit trail of a person, or of a Meta user, oldest first. */
  history(key: LinkAuditKey): Promise<LinkAuditEntry[]> {
    return this.deps.store.linkAuditOf(key);
  }

  /**
   * Where the identity of `metaUserId` comes from, for a request that named `slackId`: the policy file, or a link
   * (who made it, and when). Undefined when the request named no person.
   */
  async originOf(metaUserId: string, slackId: string | undefined): Promise<PersonOrigin | undefined> {
    if (slackId === undefined) return undefined;
    const { bySlackId, byEmail } = this.fixed;
    if (bySlackId.get(slackId) === metaUserId || keyOf(byEmail, metaUserId) !== undefined) return { kind: 'listed' };
    const link = await this.deps.store.linkOf(slackId);
    if (link?.metaUserId === metaUserId) return { kind: 'linked', by: link.by, at: link.at };
    return { kind: 'no-longer-linked', slackId };
  }

  /**
   * Separation of duties: only admins change links, and nobody changes their own, nor hands their own Meta user to
   * someone else (requests for that person would then give the admin access).
   */
  private async refusal(slackId: string, by: string, metaUserId?: string): Promise<LinkResult | undefined> {
    const admins = this.deps.admins?.() ?? [];
    if (!(await this.deps.isAdmin(by))) return { kind: 'forbidden', reason: 'not-admin', admins };
    const others = admins.filter((id) => id !== by);
    if (slackId === by) return { kind: 'forbidden', reason: 'self', admins: others };
    if (metaUserId !== undefined && (await this.metaIdOf(by)) === metaUserId)
      return { kind: 'forbidden', reason: 'own-meta-user', admins: others };
    return undefined;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.locker ? this.deps.locker.withLock(LINKS_LOCK, fn) : fn();
  }

  private async record(entry: LinkAuditEntry): Promise<void> {
    await this.deps.store.appendLinkAudit(entry);
    this.deps.logger?.info({ audit: entry }, `person ${entry.slackId} ${entry.event}`);
  }

  /** Tells the approvers; a failure there is logged and never undoes the change. */
  private async announce(change: LinkChange): Promise<void> {
    if (!this.deps.notifier) return;
    try {
      await this.deps.notifier.linkChanged(change);
    } catch (error) {
      this.deps.logger?.warn({ err: error, slackId: change.link.slackId }, 'could not announce a link change');
    }
  }
}

function keyOf(map: ReadonlyMap<string, string>, value: string): string | undefined {
  for (const [key, candidate] of map) if (candidate === value) return key;
  return undefined;
}
