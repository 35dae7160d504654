import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { MessageRef } from '../access/request.js';
import type { Review, ReviewNotifier, ReviewPage, ReviewSummary, ReviewView } from '../access/review.js';
import { postToApprovers } from './approvers.js';
import { reviewMessage, reviewReminderMessage, reviewSummaryMessage } from './blocks/review.js';
import type { MessageBody } from './blocks/types.js';
import { channelPermalink } from './permalink.js';

export interface ReviewNotifierLogger {
  warn(obj: object, msg: string): void;
}

/** A message being updated, and the newest body waiting to follow the update under way. */
interface Updating {
  next?: MessageBody;
  done: Promise<void>;
}

/**
 * Shows access reviews in Slack: posted where the account's approvers decide (its approval channel, or each
 * approver by DM), redrawn in place as rows are decided, and closed with a summary in the same places. Updates to
 * one message never overlap: while one is under way, only the newest body waits, so a run of quick decisions costs
 * a couple of `chat.update` calls, not one each.
 */
export class SlackReviewNotifier implements ReviewNotifier {
  private readonly updating = new Map<string, Updating>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly accounts: AccountLookup,
    private readonly logger?: ReviewNotifierLogger,
  ) {}

  post(review: Review, first: ReviewPage): Promise<MessageRef[]> {
    return postToApprovers(this.client, this.accounts, review.wabaId, reviewMessage(review, first));
  }

  async show(review: Review, views: readonly ReviewView[]): Promise<void> {
    const results = await Promise.allSettled(
      views.map(({ message, page }) => this.update(message, reviewMessage(review, page))),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async remind(review: Review, approverIds: string[]): Promise<void> {
    const permalink = await channelPermalink(this.client, review.messages, (error) =>
      this.logger?.warn({ err: error }, 'could not get a link to the review message'),
    );
    const body = reviewReminderMessage(review, permalink);
    for (const approver of approverIds) await this.client.chat.postMessage({ channel: approver, ...body });
  }

  async closed(review: Review, summary: ReviewSummary): Promise<void> {
    const body = reviewSummaryMessage(review, summary);
    for (const channel of new Set(review.messages.map((message) => message.channel))) {
      await this.client.chat.postMessage({ channel, ...body });
    }
  }

  /** Updates one message; a body sent while an update of it is under way waits for it, replacing any that waited. */
  private update(ref: MessageRef, body: MessageBody): Promise<void> {
    const key = `${ref.channel}:${ref.ts}`;
    const current = this.updating.get(key);
    if (current) {
      current.next = body;
      return current.done;
    }
    const entry: Updating = { next: body, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        while (entry.next) {
          const next = entry.next;
          entry.next = undefined;
          await this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...next });
        }
      } finally {
        this.updating.delete(key);
      }
    })();
    this.updating.set(key, entry);
    return entry.done;
  }
}
