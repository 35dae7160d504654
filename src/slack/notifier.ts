import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { PersonOrigin } from '../access/directory.js';
import type { TemporaryGrant } from '../access/grants.js';
import type { RequestNotifier } from '../access/ports.js';
import { type AccessRequest, isFinal, type MessageRef, type Pending } from '../access/request.js';
import { reminderMessage } from './blocks/replies.js';
import { approvalMessage, conflictMessage, grantNotice, resultMessage } from './blocks/request.js';
import type { MessageBody } from './blocks/types.js';

export interface NotifierLogger {
  warn(obj: object, msg: string): void;
}

/** Where a request's target identity comes from (see Directory.originOf), for the approval message. */
export type TargetOrigins = (request: AccessRequest) => Promise<PersonOrigin | undefined>;

/**
 * Posts and updates approval messages, and tells requesters and origin channels how requests ended. Approval
 * messages go where the request's account says: its approval channel, or its approvers by DM.
 */
export class SlackNotifier implements RequestNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly accounts: AccountLookup,
    private readonly logger?: NotifierLogger,
    private readonly origins?: TargetOrigins,
  ) {}

  async announce(request: Pending): Promise<MessageRef[]> {
    return this.toApprovers(
      request.wabaId,
      approvalMessage(request, undefined, await this.originOf(request)),
      request.requesterId,
    );
  }

  async changed(request: AccessRequest, grant?: TemporaryGrant): Promise<void> {
    // A review's decision is shown on the review's own message, row by row; a grant it made is told of when it ends.
    if (request.review) return;
    await this.update(request.approvalMessages, approvalMessage(request, grant, await this.originOf(request)));
    if (!isFinal(request) || request.state === 'canceled') return;
    await this.tellRequester(request, resultMessage(request, grant));
  }

  async remind(request: Pending, approverIds: string[]): Promise<void> {
    // In the approval channel, a link takes the approver to the message; in DMs, it sits just above the reminder.
    const first = request.approvalMessages[0]?.channel.startsWith('D') ? undefined : request.approvalMessages[0];
    const link = first ? await this.permalink(first) : undefined;
    const message = reminderMessage(request, link);
    for (const approver of approverIds) await this.client.chat.postMessage({ channel: approver, ...message });
  }

  private async permalink(ref: MessageRef): Promise<string | undefined> {
    try {
      return (await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts })).permalink;
    } catch (error) {
      this.logger?.warn({ err: error }, 'could not get a link to the approval message');
      return undefined;
    }
  }

  /** The approval message does without it when the lookup fails. */
  private async originOf(request: AccessRequest): Promise<PersonOrigin | undefined> {
    try {
      return await this.origins?.(request);
    } catch (error) {
      this.logger?.warn({ err: error, requestId: request.id }, 'could not find who linked the request’s user');
      return undefined;
    }
  }

  async grantChanged(grant: TemporaryGrant, request: AccessRequest): Promise<MessageRef[]> {
    await this.update(request.approvalMessages, approvalMessage(request, grant, await this.originOf(request)));
    if (grant.state === 'conflict') {
      return grant.conflictMessages.length > 0
        ? grant.conflictMessages
        : this.toApprovers(grant.wabaId, conflictMessage(grant, request));
    }
    await this.update(grant.conflictMessages, conflictMessage(grant, request));
    const notice = grantNotice(grant, request);
    if (grant.state === 'active') {
      // Extended: the extension request reports to the channel itself; the grant's requester hears by DM.
      await this.client.chat.postMessage({ channel: request.requesterId, ...notice });
    } else {
      await this.tellRequester(request, notice);
    }
    return [];
  }

  /** Posts to the account's approval channel, or by DM to each of its approvers except `except`. */
  private async toApprovers(wabaId: string, message: MessageBody, except?: string): Promise<MessageRef[]> {
    const account = this.accounts.forWaba(wabaId);
    if (!account) throw new Error(`No account is configured for WABA ${wabaId}, so there is nobody to ask.`);
    const channel = account.policy.approvalChannelId;
    if (channel) {
      const posted = await this.client.chat.postMessage({ channel, ...message });
      return [{ channel: posted.channel ?? channel, ts: String(posted.ts) }];
    }
    // Posting to a user id opens the DM with them.
    const approvers = (await account.approvers.approverUserIds()).filter((id) => id !== except);
    if (approvers.length === 0) throw new Error('No approver other than the requester can be asked.');
    const refs: MessageRef[] = [];
    for (const approver of approvers) {
      const posted = await this.client.chat.postMessage({ channel: approver, ...message });
      refs.push({ channel: String(posted.channel), ts: String(posted.ts) });
    }
    return refs;
  }

  private async update(refs: readonly MessageRef[], message: MessageBody): Promise<void> {
    await Promise.all(refs.map((ref) => this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...message })));
  }

  /** The origin channel (unless it is a DM) and the requester's DM. */
  private async tellRequester(request: AccessRequest, result: MessageBody): Promise<void> {
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
