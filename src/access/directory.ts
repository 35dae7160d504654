import { NO_PEOPLE, type PolicyPeople } from './accounts.js';
import { type Clock, systemClock } from './ports.js';

/** A Slack person and the Meta business user they are, as an admin linked them. */
export interface PersonLink {
  slackId: string;
  metaUserId: string;
  by: string;
  at: string;
}

/** Where links live; each Slack person has at most one Meta user, and each Meta user at most one person. */
export interface DirectoryStore {
  linkOf(slackId: string): Promise<PersonLink | undefined>;
  linkOfMeta(metaUserId: string): Promise<PersonLink | undefined>;
  saveLink(link: PersonLink): Promise<void>;
  deleteLink(link: PersonLink): Promise<void>;
}

export type LinkResult =
  | { kind: 'linked'; link: PersonLink; previous?: PersonLink }
  | { kind: 'unlinked'; link: PersonLink }
  | { kind: 'not-linked'; slackId: string }
  | { kind: 'forbidden' }
  | { kind: 'unknown-meta-user'; metaUserId: string }
  /** The policy file says who this person (or Meta user) is; only the file can change it. */
  | { kind: 'fixed'; metaUserId: string; slackId?: string; email?: string };

/** Email addresses of Slack people, for policy entries that name people by email. */
export interface SlackEmails {
  emailOf(slackId: string): Promise<string | undefined>;
  slackIdOf(email: string): Promise<string | undefined>;
}

export interface DirectoryDeps {
  store: DirectoryStore;
  /** Who may link and unlink people. */
  isAdmin: (slackId: string) => Promise<boolean>;
  /** Whether Meta knows a business user with this id (a link to a typo would send requests astray). */
  metaUserExists: (metaUserId: string) => Promise<boolean>;
  /** The policy file's entries (read on every lookup, so a reload takes effect at once). */
  fixed?: () => PolicyPeople;
  /** Needed for entries by email. */
  emails?: SlackEmails;
  clock?: Clock;
}

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

  /** Links a person to a Meta user, replacing the person's earlier link and any other person's link to that user. */
  async link(slackId: string, metaUserId: string, by: string): Promise<LinkResult> {
    if (!(await this.deps.isAdmin(by))) return { kind: 'forbidden' };
    const fixed = await this.isFixed(slackId, metaUserId);
    if (fixed) return fixed;
    if (!(await this.deps.metaUserExists(metaUserId))) return { kind: 'unknown-meta-user', metaUserId };
    const previous = await this.deps.store.linkOf(slackId);
    const taken = await this.deps.store.linkOfMeta(metaUserId);
    if (previous) await this.deps.store.deleteLink(previous);
    if (taken && taken.slackId !== slackId) await this.deps.store.deleteLink(taken);
    const link: PersonLink = { slackId, metaUserId, by, at: this.clock.now().toISOString() };
    await this.deps.store.saveLink(link);
    const replaced = previous?.metaUserId !== metaUserId ? previous : undefined;
    return { kind: 'linked', link, ...(replaced ? { previous: replaced } : {}) };
  }

  async unlink(slackId: string, by: string): Promise<LinkResult> {
    if (!(await this.deps.isAdmin(by))) return { kind: 'forbidden' };
    const fixed = await this.isFixed(slackId);
    if (fixed) return fixed;
    const link = await this.deps.store.linkOf(slackId);
    if (!link) return { kind: 'not-linked', slackId };
    await this.deps.store.deleteLink(link);
    return { kind: 'unlinked', link };
  }
}

function keyOf(map: ReadonlyMap<string, string>, value: string): string | undefined {
  for (const [key, candidate] of map) if (candidate === value) return key;
  return undefined;
}
