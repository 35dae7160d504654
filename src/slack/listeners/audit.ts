import type { webApi } from '@slack/bolt';
import type { Account } from '../../access/accounts.js';
import type { AuditFile } from '../../access/audit-exports.js';
import { auditFileComment, auditReply } from '../blocks/audit.js';
import { problemMessage } from '../blocks/replies.js';
import type { MessageBody } from '../blocks/types.js';
import { mrkdwn } from '../format.js';
import type { ListenerDeps } from './deps.js';

/**
 * `/waba audit [on <account>] [since <duration>]`: the audit trail as a CSV file in the admin's DM, through
 * Slack's current upload (`files.getUploadURLExternal`, the bytes, `files.completeUploadExternal`, which
 * `files.uploadV2` does). `account` is the one named with `on`; none: every account.
 */
export async function auditCommand(
  deps: ListenerDeps,
  client: webApi.WebClient,
  userId: string,
  account: Account | undefined,
  sinceMs: number | undefined,
  now = Date.now(),
): Promise<MessageBody> {
  if (!deps.auditExports)
    return problemMessage(mrkdwn`This bot keeps no audit trail to export.`, mrkdwn`Ask its admin.`);
  // A span reaching back before the epoch asks for everything (and would be no moment a Date can hold).
  const since = sinceMs === undefined || sinceMs >= now ? undefined : now - sinceMs;
  const scope = { ...(account ? { account } : {}), ...(since === undefined ? {} : { since }) };
  const outcome = await deps.auditExports.run(userId, scope, (file) =>
    sendToDm(client, userId, file, auditFileComment(account?.policy.alias, since, file.entries).text),
  );
  return auditReply(outcome);
}

/** Puts the file in the person's DM with the bot: `files.completeUploadExternal` takes a channel id (D…), not a user id. */
async function sendToDm(client: webApi.WebClient, userId: string, file: AuditFile, comment: string): Promise<void> {
  const opened = await client.conversations.open({ users: userId });
  const channelId = opened.channel?.id;
  if (!channelId) throw new Error('no_dm_channel');
  await client.files.uploadV2({
    channel_id: channelId,
    file: file.content,
    filename: file.filename,
    title: file.filename,
    initial_comment: comment,
  });
}
