import type { AccountLookup } from '../accounts.js';
import type { DriftNotifier, DriftStore } from '../drift-ports.js';
import type { Clock, Identities, Locker, RequestNotifier, RequestRepository } from '../ports.js';
import type { ServiceLogger } from './context.js';
import type { Interest } from './interest.js';
import type { RequestWriter } from './request-writer.js';

/** What the drift check, its digests' buttons and the history queries need. */
export interface DriftDeps {
  store: DriftStore;
  accounts: AccountLookup;
  /** Requests, temporary grants and each person's ledger: Make temporary and Accept keep them in step. */
  repository: RequestRepository;
  locker: Locker;
  notifier: DriftNotifier;
  /** Tells the people of a temporary grant that ended outside the bot once it is accepted. */
  requestNotifier: RequestNotifier;
  /** Who is who: nobody acts on a report about their own Meta user. */
  identities?: Identities;
  /** The Slack person linked to a Meta user, shown beside them in digests and history. */
  slackIdOf?: (metaUserId: string) => Promise<string | undefined>;
  /** How often each WABA is checked; unset: never (`DRIFT_CHECK_EVERY=off`). */
  intervalMs?: number;
  /** How many days of history are kept. */
  historyDays: number;
  clock?: Clock;
  logger?: ServiceLogger;
  newId?: () => string;
}

/** The drift use cases' shared context. */
export interface DriftContext {
  deps: DriftDeps;
  clock: Clock;
  /** Writes the request record a Make temporary leaves, as any request is written. */
  writer: RequestWriter;
  interest: Interest;
  newId: () => string;
}
