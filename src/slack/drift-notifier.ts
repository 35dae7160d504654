import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { DriftDigest } from '../access/drift.js';
import type { DriftNotifier } from '../access/drift-ports.js';
import type { MessageRef } from '../access/request.js';
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

  async post(digest: DriftDigest): Promise<MessageRef[]> {
    const account = this.accounts.forWaba(digest.wabaId);
    if (!account) throw new Error(`No account is configured for WABA ${digest.wabaId}, so there is nobody to tell.`);
    const body = digestMessage(digest, 0);
    const channel = account.policy.approvalChannelId;
    if (channel) {
      const posted = await this.client.chat.postMessage({ channel, ...body });
      return [{ channel: posted.channel ?? channel, ts: String(posted.ts) }];
    }
    const approvers = await account.approvers.approverUserIds();
    if (approvers.length === 0) throw new Error('The account has no approvers to tell.');
    const refs: MessageRef[] = [];
    // Posting to a user id opens the DM with them.
    for (const approver of approvers) {
      const posted = await this.client.chat.postMessage({ channel: approver, ...body });
      refs.push({ channel: String(posted.channel), ts: String(posted.ts) });
    }
    return refs;
  }

  async update(digest: DriftDigest): Promise<void> {
    await Promise.all(
      digest.messages.map((ref) =>
        this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...digestMessage(digest, ref.page) }),
      ),
    );
  }
}
