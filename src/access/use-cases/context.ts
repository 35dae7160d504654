import { type Account, type AccountLookup, UnconfiguredAccountError } from '../accounts.js';
import type { AccessMetrics, Clock, Identities, Locker, RequestNotifier, RequestRepository } from '../ports.js';
import type { AccessRequest, Executing } from '../request.js';
import type { TemporaryAccess } from '../temporary-access.js';
import type { Interest } from './interest.js';
import type { RequestWriter } from './request-writer.js';
import type { ReviewDeps } from './review/context.js';

export interface ServiceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AccessServiceDeps {
  repository: RequestRepository;
  locker: Locker;
  /** The accounts requests are made on: each with its WABA, approvers and rules. */
  accounts: AccountLookup;
  notifier: RequestNotifier;
  /** Who is who: nobody decides a request about the Meta user they are linked to. */
  identities?: Identities;
  requestTtlMs: number;
  /** Approvers are reminded once of requests pending (and of break-glass uses unreviewed) this long; unset: never. */
  remindAfterMs?: number;
  /** Who asked for a temporary grant, and who holds it, hear this long before it ends; unset: never. */
  expiryNoticeMs?: number;
  clock?: Clock;
  /** How long an executor owns a request before recovery may take it over; longer than any Graph call. */
  executionLeaseMs?: number;
  /**
   * Whether other processes share the store (Redis). When not, work another process left executing is orphaned,
   * whatever its lease says.
   */
  sharedStore?: boolean;
  /** This process, as recorded on the work it carries out. */
  instanceId?: string;
  /**
   * How many submissions run at once. The rest queue without using CPU, so a burst of commands is acknowledged
   * quickly while their work follows in order. (Approvals are not limited: their fresh reads are shared.)
   */
  maxConcurrentSubmissions?: number;
  logger?: ServiceLogger;
  /** Told of state changes and decisions, for monitoring. */
  metrics?: AccessMetrics;
  newId?: () => string;
  /** Access reviews: where they live and how they are shown; unset: reviews are not available. */
  reviews?: ReviewDeps;
}

/** What every use case works with: the ports, this process, and the helpers they share. */
export interface UseCaseContext {
  deps: AccessServiceDeps;
  clock: Clock;
  /** How long an executor owns a request it started. */
  leaseMs: number;
  instanceId: string;
  newId: () => string;
  /** Every write to a request: state, audit, locks. */
  writer: RequestWriter;
  /** Who stands to gain from a request, and so may not decide it. */
  interest: Interest;
  temporary: TemporaryAccess;
  /** Carries out an approved request on Graph (see execution.ts), counted as work under way. */
  execute(request: Executing): Promise<AccessRequest>;
}

/** The account of a request or grant; throws when it is no longer configured. */
export function accountOf(ctx: UseCaseContext, wabaId: string): Account {
  const account = ctx.deps.accounts.forWaba(wabaId);
  if (!account) throw new UnconfiguredAccountError(wabaId);
  return account;
}
