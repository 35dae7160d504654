import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { DriftDigest } from '../access/drift.js';
import type { DriftNotifier } from '../access/drift-ports.js';
import type { MessageRef } from '../access/request.js';
import { postToApprovers } from './approvers.js';
import { digestMessage } from './blocks/drift.js';

/**
 * Posts drift digests where an account's approvers decide (its approval channel, or each approver by DM) and redraws
 * them in place, each message at the page it shows.
 */
export class SlackDriftNotifier implements DriftNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly accounts: AccountLookup,
  ) {}

  post(digest: DriftDigest): Promise<MessageRef[]> {
    return postToApprovers(this.client, this.accounts, digest.wabaId, digestMessage(digest, 0));
  }

  async update(digest: DriftDigest): Promise<void> {
    await Promise.all(
      digest.messages.map((ref) =>
        this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...digestMessage(digest, ref.page) }),
      ),
    );
  }
}
