import type { ApproverPolicy } from '../../access/policy.js';
import type { AccessService } from '../../access/service.js';

/** What listeners need: the domain service and a few settings for their replies. */
export interface ListenerDeps {
  service: AccessService;
  policy: ApproverPolicy;
  approverIds: readonly string[];
  approvalChannelId?: string;
  wabaId: string;
}
