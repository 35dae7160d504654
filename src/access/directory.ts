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
  | { kind: 'unknown-meta-user'; metaUserId: string };

export interface DirectoryDeps {
  store: DirectoryStore;
  /** Who may link and unlink people. */
  isAdmin: (slackId: string) => Promise<boolean>;
  /** Whether Meta knows a business user with this id (a link to a typo would send requests astray). */
  metaUserExists: (metaUserId: string) => Promise<boolean>;
  clock?: Clock;
}

/** Who is who: lets people name colleagues in Slack while Graph is called with Meta business-user ids. */
export class Directory {
  private readonly clock: Clock;

  constructor(private readonly deps: DirectoryDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  async metaIdOf(slackId: string): Promise<string | undefined> {
    return (await this.deps.store.linkOf(slackId))?.metaUserId;
  }

  async slackIdOf(metaUserId: string): Promise<string | undefined> {
    return (await this.deps.store.linkOfMeta(metaUserId))?.slackId;
  }

  /** Links a person to a Meta user, replacing the person's earlier link and any other person's link to that user. */
  async link(slackId: string, metaUserId: string, by: string): Promise<LinkResult> {
    if (!(await this.deps.isAdmin(by))) return { kind: 'forbidden' };
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
    const link = await this.deps.store.linkOf(slackId);
    if (!link) return { kind: 'not-linked', slackId };
    await this.deps.store.deleteLink(link);
    return { kind: 'unlinked', link };
  }
}
