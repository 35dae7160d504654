import type { LinkChange, LinkRefusal, LinkResult } from '../../access/directory.js';
import { USAGE } from '../commands.js';
import { code, type Mrkdwn, mention, mrkdwn, someOf } from '../format.js';
import { message, reply, section } from './kit.js';
import { problemMessage } from './replies.js';
import type { MessageBody } from './types.js';

/** What approvers are told when someone changes who a person is: one line, as the audit trail has it. */
export function linkChangeMessage(change: LinkChange): MessageBody {
  const { by, link } = change;
  if (change.kind === 'unlinked') {
    return reply(mrkdwn`🔗 ${mention(by)} unlinked ${mention(link.slackId)} from Meta user ${code(link.metaUserId)}.`);
  }
  const was = change.previous ? mrkdwn` (was ${code(change.previous.metaUserId)})` : mrkdwn` (was not linked)`;
  const displaced = change.displaced
    ? mrkdwn`; ${mention(change.displaced.slackId)} was linked to it before and no longer is`
    : mrkdwn``;
  return reply(
    mrkdwn`🔗 ${mention(by)} linked ${mention(link.slackId)} to Meta user ${code(link.metaUserId)}${was}${displaced}.`,
  );
}

/** The answer to `/waba link` and `/waba unlink`. */
export function linkReply(result: LinkResult): MessageBody {
  switch (result.kind) {
    case 'linked': {
      const was = result.previous ? mrkdwn` (was ${code(result.previous.metaUserId)})` : '';
      const moved = result.displaced
        ? mrkdwn` ${mention(result.displaced.slackId)} was linked to it before and no longer is.`
        : '';
      return message(mrkdwn`Linked ${result.link.slackId} to Meta user ${result.link.metaUserId}.`, [
        section(
          mrkdwn`🔗 ${mention(result.link.slackId)} is now Meta business user ${code(result.link.metaUserId)}${was}.${moved} Requests can name them: \`/waba grant ${mention(result.link.slackId)} MESSAGING\`. The approvers have been told.`,
        ),
      ]);
    }
    case 'unlinked':
      return message(mrkdwn`Unlinked ${result.link.slackId}.`, [
        section(
          mrkdwn`Unlinked ${mention(result.link.slackId)} from Meta user ${code(result.link.metaUserId)}. Requests for them now need their Meta id, or a new ${code(USAGE.link)}. The approvers have been told.`,
        ),
      ]);
    case 'not-linked':
      return problemMessage(
        mrkdwn`${mention(result.slackId)} is not linked to a Meta user; nothing changed.`,
        mrkdwn`${USAGE.link}`,
      );
    case 'forbidden':
      return problemMessage(LINK_REFUSALS[result.reason], whoCanLink(result.admins));
    case 'unknown-meta-user':
      return problemMessage(
        mrkdwn`Meta does not know a user with id ${result.metaUserId}; nothing was linked.`,
        mrkdwn`Copy the id from Meta Business Settings → Users → People (or System users), then try again.`,
      );
    case 'fixed': {
      const who = result.slackId ? mention(result.slackId) : mrkdwn`${result.email ?? 'someone'}`;
      return problemMessage(
        mrkdwn`The policy file says ${who} is Meta user ${code(result.metaUserId)}; nothing changed.`,
        mrkdwn`Only the file can change that: edit its \`people:\` entry and reload the bot (SIGHUP).`,
      );
    }
  }
}

const LINK_REFUSALS: Record<LinkRefusal, Mrkdwn> = {
  'not-admin': mrkdwn`Only the bot’s admins (or an admin of every account) can link people to Meta users, since a link is used on every account; nothing changed.`,
  self: mrkdwn`Nobody links or unlinks themselves, admins included; nothing changed.`,
  'own-meta-user': mrkdwn`That Meta user is you: linking someone else to it would send their access to you; nothing changed.`,
};

/** Who can make a link change instead. */
function whoCanLink(admins: readonly string[]): Mrkdwn {
  return admins.length > 0
    ? mrkdwn`Ask one of them: ${someOf(admins.map(mention))}.`
    : mrkdwn`No one else can: the policy file’s ${code('admins:')} (or ${code('ADMIN_IDS')}) says who the admins are.`;
}
