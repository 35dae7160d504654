import type { Accounts } from '../../access/accounts.js';
import type { AuditExports } from '../../access/audit-exports.js';
import type { Directory } from '../../access/directory.js';
import type { DriftService } from '../../access/drift-service.js';
import type { AccessService } from '../../access/service.js';
import type { CommandLimit } from '../command-limit.js';
import type { SlackPeople } from '../people.js';

/** What listeners need: the domain service, the accounts (for `on <alias>` and replies), and who is who. */
export interface ListenerDeps {
  service: AccessService;
  /** Drift digests' buttons, and who had access when. */
  drift: DriftService;
  accounts: Accounts;
  /** Slack people ↔ Meta users, and who may link them. */
  directory: Directory;
  people: SlackPeople;
  /** Commands that cost Graph calls, per person and minute; unset: no limit. */
  commandLimit?: CommandLimit;
  /** `/waba audit`: admins export the audit trail; unset: nothing to export. */
  auditExports?: AuditExports;
}
