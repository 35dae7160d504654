import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { LinkChange, LinkNotifier } from '../access/directory.js';
import { linkChangeMessage } from './blocks/links.js';

export interface AnnouncerLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Tells every account's approvers that someone changed who a person is, since their next approval may depend on
 * it: once in each approval channel, or by DM to approvers of accounts without one (each person once). Failures are
 * logged, never thrown: the link stands either way.
 */
export class LinkAnnouncer implements LinkNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly accounts: AccountLookup,
    private readonly logger?: AnnouncerLogger,
  ) {}

  async linkChanged(change: LinkChange): Promise<void> {
    const message = linkChangeMessage(change);
    const destinations = await this.destinations(change.by);
    const posts = await Promise.allSettled(
      [...destinations].map((channel) => this.client.chat.postMessage({ channel, ...message })),
    );
    posts.forEach((post, index) => {
      if (post.status === 'rejected')
        this.logger?.warn(
          { err: post.reason, channel: [...destinations][index], slackId: change.link.slackId },
          'could not announce a link change',
        );
    });
  }

  /** Approval channels, and the approvers of accounts without one (not the admin who made the change). */
  private async destinations(actor: string): Promise<Set<string>> {
    const destinations = new Set<string>();
    for (const account of this.accounts.list()) {
      const channel = account.policy.approvalChannelId;
      if (channel) {
        destinations.add(channel);
        continue;
      }
      try {
        for (const approver of await account.approvers.approverUserIds())
          if (approver !== actor) destinations.add(approver);
      } catch (error) {
        this.logger?.warn(
          { err: error, account: account.policy.alias },
          'could not find the approvers to tell of a link change',
        );
      }
    }
    return destinations;
  }
}
