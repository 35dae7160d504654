import type { Directory } from '../../access/directory.js';
import type { ApproverPolicy } from '../../access/policy.js';
import type { AccessService } from '../../access/service.js';
import type { SlackPeople } from '../people.js';

/** What listeners need: the domain service and a few settings for their replies. */
export interface ListenerDeps {
  service: AccessService;
  policy: ApproverPolicy;
  /** Slack people ↔ Meta users, and who may link them. */
  directory: Directory;
  people: SlackPeople;
  adminIds: readonly string[];
  approverIds: readonly string[];
  approvalChannelId?: string;
  wabaId: string;
}
