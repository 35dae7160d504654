import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { PersonOrigin } from '../access/directory.js';
import type { TemporaryGrant } from '../access/grants.js';
import type { RequestNotifier } from '../access/ports.js';
import { type AccessRequest, isFinal, type MessageRef, type Pending } from '../access/request.js';
import { postToApprovers } from './approvers.js';
import { emergencyMessage, reviewedNotice, reviewReminderMessage } from './blocks/break-glass.js';
import { doneNotice, endingSoonMessage } from './blocks/grant-notices.js';
import { reminderMessage } from './blocks/replies.js';
import { approvalMessage, conflictMessage, grantNotice, resultMessage } from './blocks/request.js';
import type { MessageBody } from './blocks/types.js';
import type { HomeRefresh } from './home-refresh.js';
import { channelPermalink } from './permalink.js';
import { endedEmpty } from './request-again.js';

export interface NotifierLogger {
  warn(obj: object, msg: string): void;
}

/** Where a request's target identity comes from (see Directory.originOf), for the approval message. */
export type TargetOrigins = (request: AccessRequest) => Promise<PersonOrigin | undefined>;

/**
 * Posts and updates approval messages, and tells requesters and origin channels how requests ended. Approval
 * messages go where the request's account says: its approval channel, or its approvers by DM. With `homes`, the Home
 * tabs of the people a change concerns are published again.
 */
export class SlackNotifier implements RequestNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly accounts: AccountLookup,
    private readonly logger?: NotifierLogger,
    private readonly origins?: TargetOrigins,
    private readonly homes?: HomeRefresh,
  ) {}

  async announce(request: Pending): Promise<MessageRef[]> {
    try {
      return await this.toApprovers(request.wabaId, await this.approvalBody(request), request.requesterId);
    } finally {
      await this.refreshHomes(request, undefined, true);
    }
  }

  async changed(request: AccessRequest, grant?: TemporaryGrant): Promise<void> {
    // A review's decision is shown on the review's own message, row by row; a grant it made is told of when it ends.
    if (request.review) return;
    try {
      await this.update(request.approvalMessages, await this.approvalBody(request, grant));
      if (!isFinal(request) || request.state === 'canceled') return;
      await this.tellRequester(request, resultMessage(request, grant));
    } finally {
      await this.refreshHomes(request, grant, waitingChanged(request));
    }
  }

  /** The message approvers see of a request: an approval message, or a break-glass announcement. */
  private async approvalBody(request: AccessRequest, grant?: TemporaryGrant): Promise<MessageBody> {
    const origin = await this.originOf(request);
    return request.emergency ? emergencyMessage(request, grant, origin) : approvalMessage(request, grant, origin);
  }

  async grantEndingSoon(grant: TemporaryGrant, request: AccessRequest, people: readonly string[]): Promise<void> {
    const message = endingSoonMessage(grant, request);
    const sent = await Promise.allSettled(
      people.map((person) => this.client.chat.postMessage({ channel: person, ...message })),
    );
    const failed = sent.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    for (const failure of failed) this.logger?.warn({ err: failure.reason, grantId: grant.id }, 'heads-up not sent');
    if (failed.length === sent.length && failed[0]) throw failed[0].reason;
  }

  async announceEmergency(request: AccessRequest): Promise<MessageRef[]> {
    const account = this.accounts.forWaba(request.wabaId);
    if (!account) throw new Error(`No account is configured for WABA ${request.wabaId}, so there is nobody to tell.`);
    const message = await this.approvalBody(request);
    const refs: MessageRef[] = [];
    const post = async (channel: string) => {
      try {
        const posted = await this.client.chat.postMessage({ channel, ...message });
        refs.push({ channel: String(posted.channel ?? channel), ts: String(posted.ts) });
      } catch (error) {
        this.logger?.warn({ err: error, channel, requestId: request.id }, 'break-glass announcement not posted');
      }
    };
    // Loud: where the account's approvers decide, and in each approver's DMs as well (one failing spares the rest).
    if (account.policy.approvalChannelId) await post(account.policy.approvalChannelId);
    let approvers: string[] = [];
    try {
      approvers = await account.approvers.approverUserIds();
    } catch (error) {
      this.logger?.warn({ err: error, requestId: request.id }, 'could not list approvers to tell of a break-glass use');
    }
    for (const approver of approvers) if (approver !== request.requesterId) await post(approver);
    if (refs.length === 0) throw new Error('No approver could be told of the break-glass use.');
    return refs;
  }

  async emergencyReviewed(request: AccessRequest, grant?: TemporaryGrant): Promise<void> {
    try {
      await this.update(request.approvalMessages, await this.approvalBody(request, grant));
      await this.client.chat.postMessage({ channel: request.requesterId, ...reviewedNotice(request, grant) });
    } finally {
      await this.refreshHomes(request, grant, false);
    }
  }

  async remindReview(request: AccessRequest, approverIds: readonly string[]): Promise<void> {
    const link = await this.permalink(request.approvalMessages);
    const message = reviewReminderMessage(request, link);
    for (const approver of approverIds) await this.client.chat.postMessage({ channel: approver, ...message });
  }

  /**
   * Publishes again the Home tabs a change shows on: its requester's, the person's it is for, its deciders', and —
   * when what waits for their decision changed — the account's approvers'. Never throws.
   */
  private async refreshHomes(request: AccessRequest, grant: TemporaryGrant | undefined, approvers: boolean) {
    if (!this.homes) return;
    const people = [
      request.requesterId,
      request.targetSlackId,
      grant?.requesterId,
      grant?.targetSlackId,
      ...request.decisions.map((decision) => decision.by),
    ];
    if (approvers) {
      try {
        people.push(...((await this.accounts.forWaba(request.wabaId)?.approvers.approverUserIds()) ?? []));
      } catch (error) {
        this.logger?.warn({ err: error, requestId: request.id }, 'could not list approvers to refresh their Home');
      }
    }
    this.homes.touch(people);
  }

  async remind(request: Pending, approverIds: string[]): Promise<void> {
    // In the approval channel, a link takes the approver to the message; in DMs, it sits just above the reminder.
    const link = await this.permalink(request.approvalMessages.slice(0, 1));
    const message = reminderMessage(request, link);
    for (const approver of approverIds) await this.client.chat.postMessage({ channel: approver, ...message });
  }

  /** A link to the approval message in the channel, if it is in one. */
  private permalink(messages: readonly MessageRef[]): Promise<string | undefined> {
    return channelPermalink(this.client, messages, (error) =>
      this.logger?.warn({ err: error }, 'could not get a link to the approval message'),
    );
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
    try {
      return await this.tellGrantChange(grant, request);
    } finally {
      await this.refreshHomes(request, grant, false);
    }
  }

  private async tellGrantChange(grant: TemporaryGrant, request: AccessRequest): Promise<MessageRef[]> {
    await this.update(request.approvalMessages, await this.approvalBody(request, grant));
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
      // Given back early by who asked for it or holds it: no approver did it, so they hear of it.
      if (grant.earlyEnd === 'done') await this.toApprovers(grant.wabaId, doneNotice(grant, request));
    }
    return [];
  }

  /** Posts to the account's approval channel, or by DM to each of its approvers except `except`. */
  private toApprovers(wabaId: string, message: MessageBody, except?: string): Promise<MessageRef[]> {
    return postToApprovers(this.client, this.accounts, wabaId, message, except);
  }

  private async update(refs: readonly MessageRef[], message: MessageBody): Promise<void> {
    await Promise.all(refs.map((ref) => this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...message })));
  }

  /** The origin channel (unless it is a DM) and the requester's DM. */
  private async tellRequester(request: AccessRequest, result: MessageBody): Promise<void> {
    // A DM origin is the requester's own conversation with the bot (or one we cannot post in), and a request from
    // the Home tab has the requester as its origin: the DM covers both.
    if (!request.originChannelId.startsWith('D') && request.originChannelId !== request.requesterId) {
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

/**
 * Whether a change moved what waits for approvers' decisions: a request asked for, decided on, or ended without a
 * decision. (A retry, a resumed execution or a failure's expiry leaves their lists as they were; break-glass never
 * waits for them.)
 */
function waitingChanged(request: AccessRequest): boolean {
  if (request.emergency || (request.state === 'expired' && request.failure)) return false;
  if (request.state === 'pending' || endedEmpty(request)) return true;
  return isFinal(request) && !request.decisions.some((decision) => decision.decision === 'retry');
}
