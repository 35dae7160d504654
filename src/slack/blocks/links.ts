import type { LinkChange } from '../../access/directory.js';
import { code, mention, mrkdwn } from '../format.js';
import { reply } from './kit.js';
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
