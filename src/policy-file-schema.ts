import { z } from 'zod';
import { ACCOUNT_ALIAS } from './access/accounts.js';
import { parseDuration } from './access/duration.js';
import type { ApprovalCounts } from './access/policy.js';
import { isTask, nearestTask, TASKS, type Task } from './access/tasks.js';
import { META_ID } from './graph/ids.js';
import { isUserGroupId } from './slack/usergroups.js';

/**
 * What the policy file may say: each setting's shape and the problem named when a value does not fit, and the rules
 * that tie settings together (aliases, the default account, one WABA and one Meta user each). policy-file.ts reads
 * the file, adds the rules that depend on the environment, and turns it into a Policy.
 */

export const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_USER_OR_GROUP = /^[UWS][A-Z0-9]{2,}$/;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A string that must match `pattern`; the message names the value. */
function matching(pattern: RegExp, what: string) {
  return z.string().superRefine((value, ctx) => {
    if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: `"${value}" is not ${what}` });
  });
}

/** Meta ids: digits. YAML reads unquoted ones as integers, kept exact (as bigints) and turned back into text. */
const metaId = z
  .union([z.string(), z.bigint()], { error: 'must be a Meta id (digits)' })
  .transform(String)
  .pipe(matching(META_ID, 'a Meta id (digits only)'));

const count = z
  .union([z.bigint(), z.number()], { error: 'must be a whole number from 1 to 10' })
  .transform(Number)
  .pipe(
    z.number().int('must be a whole number from 1 to 10').min(1, 'must be at least 1').max(10, 'must be at most 10'),
  );

/** A duration like `4h`; with `permanent`, also that word. */
function duration<P extends boolean = false>(options: { permanent?: P } = {}) {
  const like = `a duration like 30m, 4h or 2d${options.permanent ? ', or permanent' : ''}`;
  return z
    .string({ error: `must be ${like}` })
    .transform((value, ctx): number | (P extends true ? 'permanent' : never) => {
      if (options.permanent && value === 'permanent') return 'permanent' as P extends true ? 'permanent' : never;
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not ${like}` });
        return z.NEVER;
      }
      return ms;
    });
}

const task = z.string({ error: 'must be a task name' }).transform((value, ctx) => {
  const name = value.toUpperCase();
  if (isTask(name)) return name;
  const nearest = nearestTask(value);
  ctx.addIssue({
    code: 'custom',
    message: `"${value}" is not a task${nearest ? ` (did you mean ${nearest}?)` : ''}; tasks are ${TASKS.join(', ')}`,
  });
  return z.NEVER;
});

const slackPeople = z
  .array(matching(SLACK_USER_OR_GROUP, 'a Slack user id (U…/W…) or user-group id (S…)'), {
    error: 'must be a list of Slack user ids (U…/W…) and user-group ids (S…)',
  })
  .min(1, 'must list at least one person or user group');

const channels = z.array(matching(CHANNEL, 'a channel id (C…/G…)'), { error: 'must be a list of channel ids' });

const approvalsByTask = z.record(z.string(), count).transform((counts, ctx): Partial<ApprovalCounts> => {
  const byTask: Partial<Record<Task, number>> = {};
  for (const [key, value] of Object.entries(counts)) {
    if (key === 'default') continue;
    if (isTask(key)) byTask[key] = value;
    else ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is neither \`default\` nor a task` });
  }
  return { ...(counts.default === undefined ? {} : { default: counts.default }), byTask };
});

/** `approvals: 2`, or per task: `approvals: { default: 1, FULL_CONTROL: 2 }`. Each shape reports its own problems. */
const approvals = z.unknown().transform((value, ctx): Partial<ApprovalCounts> => {
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
  const result = isMap
    ? approvalsByTask.safeParse(value)
    : count.transform((n): Partial<ApprovalCounts> => ({ default: n, byTask: {} })).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

const accountSchema = z.strictObject({
  waba_id: metaId,
  business_id: metaId,
  approvers: slackPeople,
  admins: slackPeople.optional(),
  approval_channel: matching(CHANNEL, 'a channel id (C…/G…)').optional(),
  tasks: z.array(task).min(1, 'must list at least one task').optional(),
  approvals: approvals.optional(),
  max_duration: duration({ permanent: true }).optional(),
  default_duration: duration().optional(),
  reason_required: z.boolean({ error: 'must be true or false' }).optional(),
  break_glass: z
    .strictObject({
      users: slackPeople.optional(),
      tasks: z.array(task).min(1, 'must list at least one task').optional(),
      max_duration: duration().optional(),
    })
    .optional(),
  requesters: z
    .strictObject({ channels: channels.optional(), users: slackPeople.optional() })
    .refine((rule) => (rule.channels?.length ?? 0) + (rule.users?.length ?? 0) > 0, {
      message: 'must list channels or users; leave `requesters` out to let anyone ask',
    })
    .optional(),
});

export const fileSchema = z
  .strictObject({
    default_account: z.string().optional(),
    admins: slackPeople.optional(),
    accounts: z
      .record(z.string(), accountSchema, { error: 'must map each account alias to its settings' })
      .refine((accounts) => Object.keys(accounts).length > 0, 'must list at least one account'),
    people: z.record(z.string(), metaId, { error: 'must map Slack user ids or emails to Meta user ids' }).optional(),
  })
  .superRefine((file, ctx) => {
    const aliases = Object.keys(file.accounts);
    for (const alias of aliases) {
      if (!ACCOUNT_ALIAS.test(alias))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias],
          message: `"${alias}" is not an alias: use lowercase letters, digits, - and _ (at most 32)`,
        });
    }
    if (file.default_account === undefined && aliases.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['default_account'],
        message: `is needed with several accounts: name the one commands without \`on\` use (${aliases.join(', ')})`,
      });
    if (file.default_account !== undefined && !aliases.includes(file.default_account))
      ctx.addIssue({
        code: 'custom',
        path: ['default_account'],
        message: `"${file.default_account}" is not one of the accounts (${aliases.join(', ')})`,
      });
    for (const [alias, account] of Object.entries(file.accounts)) {
      // Only with no user groups is the number of approvers known before Slack is asked.
      const most = Math.max(account.approvals?.default ?? 0, ...Object.values(account.approvals?.byTask ?? {}));
      if (account.approvers.every((id) => !isUserGroupId(id)) && most > account.approvers.length)
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias, 'approvals'],
          message: `asks for ${most} approvals, but the account lists only ${account.approvers.length} approver(s)`,
        });
    }
    const wabas = new Map<string, string>();
    for (const [alias, account] of Object.entries(file.accounts)) {
      const other = wabas.get(account.waba_id);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias, 'waba_id'],
          message: `WABA ${account.waba_id} is already account "${other}"; each WABA may appear once`,
        });
      wabas.set(account.waba_id, alias);
    }
    const metaUsers = new Map<string, string>();
    for (const [person, meta] of Object.entries(file.people ?? {})) {
      if (!SLACK_USER.test(person) && !EMAIL.test(person))
        ctx.addIssue({
          code: 'custom',
          path: ['people', person],
          message: `"${person}" is neither a Slack user id (U…/W…) nor an email`,
        });
      const other = metaUsers.get(meta);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['people', person],
          message: `Meta user ${meta} is already ${other}; one Meta user is one person`,
        });
      metaUsers.set(meta, person);
    }
  });

export type AccountEntry = z.infer<typeof accountSchema>;
