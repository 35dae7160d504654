import type { GraphClient } from '../graph/client.js';
import { type ApprovalCounts, ApproverPolicy, type GroupMembers, ONE_APPROVAL, PeopleList } from './policy.js';
import { TASKS, type Task } from './tasks.js';
import { WabaAccess } from './waba.js';
import type { WriteJournal } from './write-journal.js';

/** How long grants may last. */
export interface GrantDurations {
  /** Grants asked for without `for …` last this long; unset: they are permanent (when allowed). */
  defaultMs?: number;
  maxMs: number;
  minMs: number;
  allowPermanent: boolean;
}

export const DEFAULT_DURATIONS: GrantDurations = { maxMs: 30 * 86_400_000, minMs: 60_000, allowPermanent: true };

/**
 * Break-glass on an account: who may give access at once, without approval, in an emergency; which tasks; and for
 * how long at most. Every use is announced at once and reviewed afterwards by an approver.
 */
export interface BreakGlassPolicy {
  /** Slack user ids (U…/W…) and user-group ids (S…). */
  people: readonly string[];
  /** Tasks an emergency grant may give (never more than the account allows). */
  tasks: readonly Task[];
  /** The longest an emergency grant may last; it always ends. */
  maxMs: number;
}

/** How long an emergency grant may last when nothing says otherwise. */
export const DEFAULT_BREAK_GLASS_MAX_MS = 3_600_000;

/** The rules of one WhatsApp Business Account: who decides, what may be asked for, and by whom. */
export interface AccountPolicy {
  /** The short name people type after `on`. */
  alias: string;
  wabaId: string;
  businessId: string;
  /** Slack user ids (U…/W…) and user-group ids (S…). */
  approverIds: readonly string[];
  /** Where approval messages go; unset: approvers by DM. */
  approvalChannelId?: string;
  /** Tasks that may be requested here. */
  tasks: readonly Task[];
  approvals: ApprovalCounts;
  durations: GrantDurations;
  /** Whether grants and revokes must say why. */
  reasonRequired: boolean;
  /** Who may ask; unset: anyone. A request is allowed when its requester or its channel is listed. */
  requesters?: { people: readonly string[]; channelIds: readonly string[] };
  /**
   * Admins of this account alone (users and user groups). Today's only admin power, linking people, touches every
   * account, so it needs a global admin or someone who administers every account.
   */
  adminIds?: readonly string[];
  /** Who may use break-glass here, and within what; unset: nobody. */
  breakGlass?: BreakGlassPolicy;
}

/** Every account, which one commands without `on` use, who administers the bot, and who is who. */
export interface Policy {
  accounts: readonly AccountPolicy[];
  defaultAlias: string;
  /** Global admins: who may link Slack people to Meta users (as may whoever administers every account). */
  adminIds: readonly string[];
  /** Fixed Slack-person → Meta-user entries, by Slack id and by email. */
  people: PolicyPeople;
}

export interface PolicyPeople {
  bySlackId: ReadonlyMap<string, string>;
  byEmail: ReadonlyMap<string, string>;
}

export const NO_PEOPLE: PolicyPeople = { bySlackId: new Map(), byEmail: new Map() };

/** The alias of the one account an environment-only setup has. */
const DEFAULT_ALIAS = 'default';

/** What an account's name (its alias in the policy file, and after `on` in a command) may be. */
export const ACCOUNT_ALIAS = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** What break-glass settings say before they meet an account: any of them may be left to the defaults. */
export interface BreakGlassSettings {
  people?: readonly string[];
  tasks?: readonly Task[];
  maxMs?: number;
}

/**
 * Break-glass on an account, from its settings: nobody when nobody is listed; tasks within those the account
 * allows (default: all of them); never longer than the account's longest grant.
 */
export function breakGlassPolicy(
  account: Pick<AccountPolicy, 'tasks' | 'durations'>,
  settings: BreakGlassSettings | undefined,
): BreakGlassPolicy | undefined {
  if (!settings?.people?.length) return undefined;
  return {
    people: settings.people,
    tasks: (settings.tasks ?? account.tasks).filter((task) => account.tasks.includes(task)),
    maxMs: Math.min(settings.maxMs ?? DEFAULT_BREAK_GLASS_MAX_MS, account.durations.maxMs),
  };
}

/** An account with the given settings and the permissive rest: every task, one approval, no reason needed. */
export function accountPolicy(
  settings: Pick<AccountPolicy, 'wabaId' | 'businessId' | 'approverIds'> & Partial<AccountPolicy>,
): AccountPolicy {
  return {
    alias: DEFAULT_ALIAS,
    tasks: TASKS,
    approvals: ONE_APPROVAL,
    durations: DEFAULT_DURATIONS,
    reasonRequired: false,
    ...settings,
  };
}

/**
 * A policy of one account, as the environment-only setup configures it. With one account nobody can be an
 * approver elsewhere, so without explicit admins the approvers administer it.
 */
export function singleAccountPolicy(account: AccountPolicy, adminIds?: readonly string[]): Policy {
  return {
    accounts: [account],
    defaultAlias: account.alias,
    adminIds: adminIds ?? account.adminIds ?? account.approverIds,
    people: NO_PEOPLE,
  };
}

/** An account as the service works with it: its rules, its Graph access and its approvers. */
export interface Account {
  policy: AccountPolicy;
  waba: WabaAccess;
  approvers: ApproverPolicy;
  /** Who may ask; undefined: anyone. */
  requesters?: { people: PeopleList; channelIds: readonly string[] };
  /** The account's own admins; undefined: only the global ones. */
  admins?: PeopleList;
  /** Who may use break-glass; undefined: nobody. */
  breakGlass?: PeopleList;
}

/** Finds accounts; what the service needs of Accounts. */
export interface AccountLookup {
  readonly default: Account;
  list(): Account[];
  byAlias(alias: string): Account | undefined;
  forWaba(wabaId: string): Account | undefined;
}

/** `on <alias>` named no configured account; `aliases` are those there are. */
export interface UnknownAccount {
  kind: 'unknown-account';
  alias: string;
  aliases: readonly string[];
}

/**
 * The one place an account is found from what people typed: the alias given with `on <alias>`, or, unset, the
 * default account.
 */
export function resolveAccount(accounts: AccountLookup, alias?: string): Account | UnknownAccount {
  const account = alias === undefined ? accounts.default : accounts.byAlias(alias);
  if (account) return account;
  return { kind: 'unknown-account', alias: alias!, aliases: accounts.list().map((known) => known.policy.alias) };
}

/** Whether `resolveAccount` found nothing. */
export function isUnknownAccount(found: Account | UnknownAccount): found is UnknownAccount {
  return 'kind' in found && found.kind === 'unknown-account';
}

/**
 * The configured accounts, by alias and by WABA id. A reload replaces them; an account that left the policy stays
 * reachable by its WABA id, so requests already made on it still finish.
 */
export class Accounts implements AccountLookup {
  private current!: { policy: Policy; byAlias: Map<string, Account>; byWaba: Map<string, Account> };
  /** Accounts that left the policy, by WABA id: their open requests and grants still need them. */
  private readonly retired = new Map<string, Account>();
  /** Roster caches survive reloads: one WabaAccess per WABA and business. */
  private readonly wabas = new Map<string, WabaAccess>();
  private admins!: PeopleList;

  constructor(
    policy: Policy,
    private readonly options: {
      graph: GraphClient;
      groupMembers: GroupMembers;
      /** How long a roster read serves; see WabaAccess. */
      rosterCacheMs?: number;
      now?: () => number;
      /** Warnings about how Meta is read (e.g. the roster standing in for a user's edge). */
      warn?: (obj: object, msg: string) => void;
      /** Where the bot's own writes are recorded, for the drift check. */
      writeJournal?: WriteJournal;
    },
  ) {
    this.replace(policy);
  }

  /** Puts a new policy in place; requests and grants under way carry on. */
  replace(policy: Policy): void {
    const byAlias = new Map<string, Account>();
    const byWaba = new Map<string, Account>();
    for (const settings of policy.accounts) {
      const account = this.build(settings);
      byAlias.set(settings.alias, account);
      byWaba.set(settings.wabaId, account);
    }
    for (const [wabaId, account] of this.current?.byWaba ?? []) {
      if (!byWaba.has(wabaId)) this.retired.set(wabaId, account);
    }
    for (const wabaId of byWaba.keys()) this.retired.delete(wabaId);
    this.current = { policy, byAlias, byWaba };
    this.admins = new PeopleList(policy.adminIds, this.options.groupMembers);
  }

  get policy(): Policy {
    return this.current.policy;
  }

  /** The account commands without `on` use. */
  get default(): Account {
    return this.current.byAlias.get(this.current.policy.defaultAlias)!;
  }

  /** Every configured account, in the policy's order. */
  list(): Account[] {
    return [...this.current.byAlias.values()];
  }

  byAlias(alias: string): Account | undefined {
    return this.current.byAlias.get(alias.toLowerCase());
  }

  /** The account a request or grant belongs to, also when it has left the policy since. */
  forWaba(wabaId: string): Account | undefined {
    return this.current.byWaba.get(wabaId) ?? this.retired.get(wabaId);
  }

  /** Whether this person is a global admin. */
  isAdmin(slackId: string): Promise<boolean> {
    return this.admins.includes(slackId);
  }

  /**
   * Whether this person may change who is who. A link is used on every account, so it takes a global admin or an
   * admin of every account; an admin of some accounts only could otherwise redirect requests on the others.
   */
  async mayLinkPeople(slackId: string): Promise<boolean> {
    if (await this.isAdmin(slackId)) return true;
    const accounts = this.list();
    for (const account of accounts) if (!(await account.admins?.includes(slackId))) return false;
    return accounts.length > 0;
  }

  /**
   * Whether this person may export an account's audit trail: a global admin, or an admin of that account. Without
   * an account (every account's trail, and the global chain of link changes) it takes what linking takes.
   */
  async mayExportAudit(slackId: string, account?: Account): Promise<boolean> {
    if (!account) return this.mayLinkPeople(slackId);
    return (await this.isAdmin(slackId)) || ((await account.admins?.includes(slackId)) ?? false);
  }

  /** The ids to name when someone else must export an account's audit trail (or, without one, every account's). */
  auditAdminIds(account?: Account): string[] {
    if (!account) return this.linkAdminIds();
    return [...new Set([...this.current.policy.adminIds, ...(account.policy.adminIds ?? [])])];
  }

  /** The ids to name when someone else must link: the global admins, then those listed as admin on every account. */
  linkAdminIds(): string[] {
    const [first, ...rest] = this.list().map((account) => account.policy.adminIds ?? []);
    const ofEvery = (first ?? []).filter((id) => rest.every((ids) => ids.includes(id)));
    return [...new Set([...this.current.policy.adminIds, ...ofEvery])];
  }

  private build(policy: AccountPolicy): Account {
    const key = `${policy.wabaId}:${policy.businessId}`;
    let waba = this.wabas.get(key);
    if (!waba) {
      const { graph, rosterCacheMs, now, warn, writeJournal } = this.options;
      waba = new WabaAccess(graph, policy.wabaId, policy.businessId, rosterCacheMs, now, warn, writeJournal);
      this.wabas.set(key, waba);
    }
    return {
      policy,
      waba,
      approvers: new ApproverPolicy(policy.approverIds, this.options.groupMembers),
      ...(policy.adminIds ? { admins: new PeopleList(policy.adminIds, this.options.groupMembers) } : {}),
      ...(policy.breakGlass ? { breakGlass: new PeopleList(policy.breakGlass.people, this.options.groupMembers) } : {}),
      ...(policy.requesters
        ? {
            requesters: {
              people: new PeopleList(policy.requesters.people, this.options.groupMembers),
              channelIds: policy.requesters.channelIds,
            },
          }
        : {}),
    };
  }
}

/** A request or grant names a WABA the policy no longer has. */
export class UnconfiguredAccountError extends Error {
  constructor(readonly wabaId: string) {
    super(
      `WhatsApp Business Account ${wabaId} is no longer in the bot’s policy, so nothing can be changed on it. An admin can add it back to the policy file and reload.`,
    );
    this.name = 'UnconfiguredAccountError';
  }
}
