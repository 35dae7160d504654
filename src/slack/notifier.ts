import type { webApi } from '@slack/bolt';
import type { ApproverPolicy } from '../access/policy.js';
import type { RequestNotifier } from '../access/ports.js';
import { type AccessRequest, isFinal, type MessageRef, type Pending } from '../access/request.js';
import { approvalMessage, resultMessage } from './blocks/request.js';

export interface NotifierLogger {
  warn(obj: object, msg: string): void;
}

/** Posts and updates approval messages, and tells requesters and origin channels how requests ended. */
export class SlackNotifier implements RequestNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly policy: ApproverPolicy,
    private readonly approvalChannelId: string | undefined,
    private readonly logger?: NotifierLogger,
  ) {}

  async announce(request: Pending): Promise<MessageRef[]> {
    const message = approvalMessage(request);
    if (this.approvalChannelId) {
      const posted = await this.client.chat.postMessage({ channel: this.approvalChannelId, ...message });
      return [{ channel: posted.channel ?? this.approvalChannelId, ts: String(posted.ts) }];
    }
    // No approval channel: each approver but the requester gets a DM (posting to a user id opens the DM).
    const approvers = (await this.policy.approverUserIds()).filter((id) => id !== request.requesterId);
    if (approvers.length === 0) throw new Error('No approver other than the requester can be asked.');
    const refs: MessageRef[] = [];
    for (const approver of approvers) {
      const posted = await this.client.chat.postMessage({ channel: approver, ...message });
      refs.push({ channel: String(posted.channel), ts: String(posted.ts) });
    }
    return refs;
  }

  async changed(request: AccessRequest): Promise<void> {
    const message = approvalMessage(request);
    const updates = request.approvalMessages.map((ref) =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...message }),
    );
    await Promise.all(updates);
    if (!isFinal(request) || request.state === 'canceled') return;

    const result = resultMessage(request);
    // A DM origin is the requester's own conversation with the bot (or one we cannot post in): the DM covers it.
    if (!request.originChannelId.startsWith('D')) {
      try {
        await this.client.chat.postMessage({ channel: request.originChannelId, ...result });
      } catch (error) {
        this.logger?.warn(
          { err: error, channel: request.originChannelId },
          'could not post the result to the origin channel',
        );
      }
    }
    await this.client.chat.postMessage({ channel: request.requesterId, ...result });
  }
}
