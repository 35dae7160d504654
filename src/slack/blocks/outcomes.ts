import { formatDuration } from '../../access/duration.js';
import type { RetryRefusal, RuleProblem, SubmitRefusal } from '../../access/outcomes.js';
import { TASKS } from '../../access/tasks.js';
import { USAGE } from '../commands.js';
import { code, join, type Mrkdwn, mention, mrkdwn, slackDate } from '../format.js';
import { FIELD } from '../ids.js';

/**
 * The domain's typed outcomes in words: what was wrong, and what to type instead. The only place a refusal of the
 * domain becomes text, so the slash command, the form and the buttons say the same thing.
 */

/** What was wrong, and what to do instead. */
export interface Said {
  problem: Mrkdwn;
  hint: Mrkdwn;
}

const NEW_GRANT = mrkdwn`Ask for a new grant with \`/waba grant …\`.`;

/** Why a request was not filed, for a reply. */
export function refusalWords(refusal: SubmitRefusal): Said {
  switch (refusal.kind) {
    case 'unknown-account':
      return {
        problem: mrkdwn`There is no account called ${code(refusal.alias)}; nothing was done.`,
        hint: mrkdwn`Accounts: ${join(refusal.aliases.map(code), ', ')} (\`/waba accounts\` shows each one’s rules).`,
      };
    case 'not-a-requester':
      return {
        problem: mrkdwn`You can’t ask for access on *${refusal.account}*; nothing was requested.`,
        hint: mrkdwn`Only the channels and people its policy lists may ask there (\`/waba accounts\` shows them); ask one of them or an approver.`,
      };
    case 'no-tasks':
      return {
        problem: mrkdwn`Which tasks? Name at least one.`,
        hint: mrkdwn`${USAGE.grant} — tasks: ${TASKS.join(', ')}`,
      };
    case 'tasks-on-revoke':
      return {
        problem: mrkdwn`\`revoke\` removes the user with all their tasks, so it takes no task names.`,
        hint: mrkdwn`${USAGE.revoke} — to keep some tasks, ask for a new grant after the revoke.`,
      };
    case 'not-requestable':
      return {
        problem: mrkdwn`${refusal.tasks.join(', ')} can’t be requested on *${refusal.account}*; nothing was requested.`,
        hint: mrkdwn`Tasks that can be requested there: ${refusal.allowed.join(', ')}.`,
      };
    case 'reason-required':
      return {
        problem: mrkdwn`Requests on *${refusal.account}* need a reason; nothing was requested.`,
        hint: mrkdwn`Add it at the end: \`… because covering support this week\`.`,
      };
    case 'permanent-off':
      return {
        problem: mrkdwn`Permanent grants are switched off here.`,
        hint: mrkdwn`Say for how long, e.g. ${code('/waba grant <id> MESSAGING for 4h')} (at most ${formatDuration(refusal.maxMs)}).`,
      };
    case 'too-long': {
      const most = formatDuration(refusal.maxMs);
      return {
        problem: mrkdwn`${formatDuration(refusal.askedMs)} is longer than the longest grant allowed (${most}).`,
        hint: mrkdwn`Ask for ${most} or less; it can be extended later.`,
      };
    }
    case 'too-short': {
      const least = formatDuration(refusal.minMs);
      return {
        problem: mrkdwn`${formatDuration(refusal.askedMs)} is shorter than the shortest grant allowed (${least}).`,
        hint: mrkdwn`Ask for at least ${least}.`,
      };
    }
    case 'unknown-user':
      return {
        problem: mrkdwn`Meta does not know a user with id ${refusal.userId}.`,
        hint: mrkdwn`Copy the id from Meta Business Settings → Users → People (or System users), then try again.`,
      };
    case 'no-access':
      return {
        problem: mrkdwn`User ${refusal.userId} has no access to this WhatsApp Business Account, so there is nothing to revoke.`,
        hint: mrkdwn`Check the id with \`/waba list\`.`,
      };
    case 'already-has':
      return {
        problem: mrkdwn`User ${refusal.userId} already has ${refusal.tasks.join(', ')}; nothing to ask for.`,
        hint: mrkdwn`See everyone’s tasks with \`/waba list\`.`,
      };
    case 'too-few-approvers':
      return {
        problem:
          refusal.required > 1
            ? mrkdwn`This request needs ${refusal.required} approvals from different approvers, but only ${refusal.possible} approver(s) other than you and the person it is for can approve it.`
            : mrkdwn`Nobody but you or the person it is for could approve this request, and neither of you may.`,
        hint: mrkdwn`Ask the bot’s admin to add approvers to *${refusal.account}*, or to lower the approvals it requires.`,
      };
    case 'not-announced':
      return {
        problem: mrkdwn`I could not post the approval request, so nothing was requested.`,
        hint: mrkdwn`Make sure the bot is in the approval channel (or can DM approvers), then try again.`,
      };
    case 'not-approver':
      return {
        problem: mrkdwn`Only approvers, the person who asked for this access and the person it is for can ask for more time; nothing was requested.`,
        hint: mrkdwn`Ask one of them, or ask for a new grant with \`/waba grant …\`.`,
      };
    case 'grant-ended':
      return { problem: mrkdwn`That access has already ended, so it cannot be extended.`, hint: NEW_GRANT };
    case 'no-reviewer':
      return {
        problem: mrkdwn`Nobody could review this break-glass access afterwards: every approver of *${refusal.account}* is you or the person it is for. Nothing was done.`,
        hint: mrkdwn`Ask for it the usual way (without \`emergency\`), or ask the bot’s admin to add approvers.`,
      };
    case 'not-break-glass':
      return {
        problem: mrkdwn`You can’t use break-glass on *${refusal.account}*; nothing was done.`,
        hint:
          refusal.people.length > 0
            ? mrkdwn`Only ${join(refusal.people.map(mention), ', ')} may. Ask for it the usual way (without \`emergency\`) so an approver decides.`
            : mrkdwn`Nobody may use break-glass there. Ask for it the usual way (without \`emergency\`) so an approver decides.`,
      };
    case 'break-glass-tasks':
      return {
        problem: mrkdwn`${refusal.tasks.join(', ')} can’t be given by break-glass on *${refusal.account}*; nothing was done.`,
        hint:
          refusal.allowed.length > 0
            ? mrkdwn`Break-glass there gives only ${refusal.allowed.join(', ')}. For anything else, ask without \`emergency\` so an approver decides.`
            : mrkdwn`Break-glass there gives no tasks. Ask without \`emergency\` so an approver decides.`,
      };
    case 'break-glass-too-long':
      return {
        problem:
          refusal.askedMs === undefined
            ? mrkdwn`Break-glass access always ends; nothing was done.`
            : mrkdwn`${formatDuration(refusal.askedMs)} is longer than break-glass access may last (${formatDuration(refusal.maxMs)}); nothing was done.`,
        hint: mrkdwn`Ask for ${formatDuration(refusal.maxMs)} or less, e.g. \`for ${formatDuration(refusal.maxMs).replace(' ', '')}\`; it can be extended later with an approval.`,
      };
    case 'break-glass-reason':
      return {
        problem: mrkdwn`Break-glass needs a reason; nothing was done.`,
        hint: mrkdwn`Say why at the end: ${code(USAGE.emergency)}.`,
      };
    case 'break-glass-revoke':
      return {
        problem: mrkdwn`Break-glass gives access; it does not remove it. Nothing was done.`,
        hint: mrkdwn`Ask for the removal without \`emergency\`, so an approver decides.`,
      };
    case 'extension-waiting':
      return {
        problem: mrkdwn`An extension of this access is already waiting (request ${refusal.requestId}); nothing more was requested.`,
        hint: mrkdwn`Wait for that one to be decided, or ask its requester to cancel it first.`,
      };
    case 'extension-too-long':
      return {
        problem: mrkdwn`Extended that way, the access would run for ${formatDuration(refusal.totalMs)} from now, longer than the ${formatDuration(refusal.maxMs)} allowed.`,
        hint: mrkdwn`Ask for at most ${formatDuration(refusal.mostMs)} more.`,
      };
  }
}

const ASK_AGAIN = mrkdwn`Ask for it again with \`/waba grant …\` so it is decided under today’s rules.`;

/** Why Retry sent nothing, in one line for the clicker. */
export function retryRefusalText(refusal: RetryRefusal): Mrkdwn {
  switch (refusal.kind) {
    case 'retry-window-passed':
      return mrkdwn`The time to retry this request ended ${slackDate(refusal.until)}, so it has expired and can no longer be retried; nothing was sent. ${ASK_AGAIN}`;
    case 'tasks-withdrawn':
      return mrkdwn`${refusal.tasks.join(', ')} can no longer be requested on ${refusal.account}, so this request cannot be retried; nothing was sent. Tasks that can be requested there now: ${refusal.allowed.join(', ')}.`;
    case 'more-approvals-needed':
      return mrkdwn`This request now needs ${refusal.needed} approvals and had ${refusal.had}, so it cannot be retried; nothing was sent. ${ASK_AGAIN}`;
  }
}

/** The request form's fields, by the draft field the rulebook names. */
const FORM_FIELD = {
  account: FIELD.account,
  tasks: FIELD.tasks,
  reason: FIELD.reason,
  duration: FIELD.duration,
  emergency: FIELD.emergency,
} as const;

/**
 * A rule problem as the form shows it next to its field (plain text, short: the form itself shows what to choose);
 * undefined for problems the form has no field for (who may ask, how long), which the reply after it tells.
 */
export function formFieldError(rule: RuleProblem): { field: string; text: string } | undefined {
  const { problem } = rule;
  switch (problem.kind) {
    case 'unknown-account':
      return { field: FORM_FIELD.account, text: 'That account is no longer configured; choose another.' };
    case 'no-tasks':
      return { field: FORM_FIELD.tasks, text: 'Choose at least one task to grant.' };
    case 'tasks-on-revoke':
      return { field: FORM_FIELD.tasks, text: 'A revoke removes all tasks; clear this field.' };
    case 'not-requestable':
      return {
        field: FORM_FIELD.tasks,
        text: `${problem.tasks.join(', ')} can’t be requested on ${problem.account}. Allowed: ${problem.allowed.join(', ')}.`,
      };
    case 'reason-required':
      return { field: FORM_FIELD.reason, text: `Requests on ${problem.account} need a reason.` };
    case 'permanent-off':
      return { field: FORM_FIELD.duration, text: `Say for how long: at most ${formatDuration(problem.maxMs)}.` };
    case 'too-long':
      return { field: FORM_FIELD.duration, text: `At most ${formatDuration(problem.maxMs)}.` };
    case 'too-short':
      return { field: FORM_FIELD.duration, text: `At least ${formatDuration(problem.minMs)}.` };
    case 'not-break-glass':
      return { field: FORM_FIELD.emergency, text: `You can’t use break-glass on ${problem.account}; untick this.` };
    case 'break-glass-tasks':
      return {
        field: FORM_FIELD.tasks,
        text: `Break-glass on ${problem.account} gives only ${problem.allowed.join(', ') || 'no tasks'}.`,
      };
    case 'break-glass-too-long':
      return { field: FORM_FIELD.duration, text: `Break-glass lasts at most ${formatDuration(problem.maxMs)}.` };
    case 'break-glass-reason':
      return { field: FORM_FIELD.reason, text: 'Break-glass needs a reason.' };
    case 'break-glass-revoke':
      return { field: FORM_FIELD.emergency, text: 'Break-glass only gives access; untick this for a revoke.' };
    default:
      return undefined;
  }
}
