import type { AuditExportOutcome } from '../../access/audit-exports.js';
import { USAGE } from '../commands.js';
import { code, join, type Mrkdwn, mention, mrkdwn, slackDate } from '../format.js';
import { context, message, section } from './kit.js';
import { problemMessage } from './replies.js';
import type { Block, MessageBody } from './types.js';

/** Whose trail, in words. */
function scopeWords(account: string | undefined): Mrkdwn {
  return account
    ? mrkdwn`the audit trail of ${code(account)}`
    : mrkdwn`the whole audit trail (every account, and link changes)`;
}

/** The comment that comes with the file in the admin's DM. */
export function auditFileComment(account: string | undefined, since: number | undefined, entries: number): Mrkdwn {
  const from = since === undefined ? mrkdwn`` : mrkdwn` since ${slackDate(new Date(since))}`;
  return mrkdwn`📄 ${scopeWords(account)}${from}: ${entries.toLocaleString('en-US')} entries, as CSV. Each row carries its entry’s hash and the one before it; \`npm run audit -- verify\` checks the chains in the store.`;
}

/** The answer to `/waba audit`. */
export function auditReply(outcome: AuditExportOutcome): MessageBody {
  switch (outcome.kind) {
    case 'not-admin': {
      const who = outcome.account
        ? mrkdwn`Only the bot’s admins and the admins of ${code(outcome.account)} can export its audit trail; nothing was exported.`
        : mrkdwn`Only the bot’s admins (or an admin of every account) can export the whole audit trail; nothing was exported.`;
      const ask =
        outcome.admins.length > 0
          ? mrkdwn`Ask one of them: ${join(outcome.admins.slice(0, 10).map(mention), ', ')}.${outcome.account ? '' : mrkdwn` For one account you administer: ${code(USAGE.audit)}.`}`
          : mrkdwn`The policy file’s ${code('admins:')} (or ${code('ADMIN_IDS')}) says who the admins are.`;
      return problemMessage(who, ask);
    }
    case 'undelivered':
      return problemMessage(
        mrkdwn`Slack did not take the file (${code(slackError(outcome.error))}); nothing was exported.`,
        mrkdwn`Try again in a minute; if it keeps failing, check that the app has the ${code('files:write')} and ${code('im:write')} scopes (reinstall it from ${code('manifest.yml')}).`,
      );
    case 'busy':
      return problemMessage(
        mrkdwn`Another audit export is being prepared right now; nothing was exported.`,
        mrkdwn`Try again in a minute.`,
      );
    case 'exported': {
      const blocks: Block[] = [
        section(
          mrkdwn`📄 Sent ${scopeWords(outcome.account)} to your DM as ${code(outcome.filename)}: ${outcome.entries.toLocaleString('en-US')} entries.`,
        ),
      ];
      if (outcome.truncated) {
        const through = outcome.truncated.lastAt ? mrkdwn` (up to ${slackDate(outcome.truncated.lastAt)})` : mrkdwn``;
        blocks.push(
          context(
            mrkdwn`⚠️ The file stops at ${Math.round(outcome.truncated.limitBytes / 1024 / 1024)} MB${through}, oldest entries first. For the rest, ask for less (${code('since 7d')}, ${code('on <account>')}), or run ${code('npm run audit -- export')} where the bot runs.`,
          ),
        );
      }
      blocks.push(context(mrkdwn`This export is itself recorded in the audit trail.`));
      return message(mrkdwn`Sent the audit trail to your DM.`, blocks);
    }
  }
}

/** Slack's error code for a failed call, or the error's message. */
function slackError(error: unknown): string {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  if (typeof data?.error === 'string') return data.error;
  return error instanceof Error ? error.message : String(error);
}
