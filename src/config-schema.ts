import { z } from 'zod';
import { parseDuration } from './access/duration.js';
import type { ApprovalCounts } from './access/policy.js';
import { isTask, nearestTask, normalizeTasks, TASKS, type Task } from './access/tasks.js';
import { META_ID } from './graph/ids.js';
import { DEFAULT_BASE_URL, DEFAULT_VERSION, GRAPH_VERSION } from './graph/transport.js';

/**
 * Every environment variable the bot reads: what it may hold, its default, and the problem named when it holds
 * something else. config.ts turns what passes into a Config.
 */

/**
 * `APPROVALS_REQUIRED`: a default count, and counts for requests that would give certain tasks, e.g.
 * `1, FULL_CONTROL=2, MANAGE=2`. Answers a problem to report when the value is malformed.
 */
function parseApprovalCounts(value: string): ApprovalCounts | string {
  const counts: ApprovalCounts = { default: 1, byTask: {} };
  const hint = 'use a count, then TASK=count pairs, e.g. "1, FULL_CONTROL=2"';
  for (const part of value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^(?:([A-Z_]+)\s*=\s*)?(\d+)$/.exec(part);
    const count = Number(match?.[2]);
    if (!match || count < 1 || count > 10) return `"${part}" is not understood; ${hint} (counts 1 to 10)`;
    const task = match[1];
    if (task === undefined) counts.default = count;
    else if (isTask(task)) counts.byTask[task] = count;
    else return `"${task}" is not a task; tasks are ${TASKS.join(', ')}`;
  }
  return counts;
}

/** Comma- or space-separated Slack user ids (U…/W…) and user-group ids (S…). */
function slackIds() {
  return z.string().transform((value, ctx) => {
    const ids = value.split(/[\s,]+/).filter(Boolean);
    const bad = ids.filter((id) => !SLACK_ID.test(id));
    if (ids.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${bad.map((id) => `"${id}"`).join(', ') || 'nothing'} is not a Slack user id (U…/W…) or user-group id (S…)`,
      });
      return z.NEVER;
    }
    return ids;
  });
}

/** Comma- or space-separated task names, e.g. `MESSAGING, VIEW_TEMPLATES`. */
function taskNames(name: string) {
  return z.string().transform((value, ctx): Task[] => {
    const words = value.split(/[\s,]+/).filter(Boolean);
    const tasks: Task[] = [];
    for (const word of words) {
      const task = word.toUpperCase();
      if (isTask(task)) {
        tasks.push(task);
        continue;
      }
      const nearest = nearestTask(word);
      ctx.addIssue({
        code: 'custom',
        message: `"${word}" is not a task${nearest ? ` (did you mean ${nearest}?)` : ''}; tasks are ${TASKS.join(', ')}`,
      });
      return z.NEVER;
    }
    if (tasks.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must list at least one task, e.g. "MESSAGING, VIEW_TEMPLATES"`,
      });
      return z.NEVER;
    }
    return normalizeTasks(tasks);
  });
}

/** The shortest drift check interval: each check pages through every account's roster. */
const MIN_DRIFT_CHECK_MS = 10_000;

const numericId = (name: string) => z.string().regex(META_ID, `${name} must be digits only`);
const SLACK_ID = /^[UWS][A-Z0-9]{2,}$/;

/** A duration setting (`30m`, `4h`, `2d`) in milliseconds. */
function duration(name: string) {
  return z.string().transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 30m, 4h or 2d, got "${value}"` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A duration setting that may also be `off`. */
function durationOrOff(name: string) {
  return z.string().transform((value, ctx): number | 'off' => {
    if (value.trim().toLowerCase() === 'off') return 'off';
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be a duration like 30m, 4h or 2d, or off, got "${value}"`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

export const schema = z.object({
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'SLACK_APP_TOKEN must be an app-level token starting with xapp-')
    .optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  SLACK_API_URL: z.url().optional(),
  META_ACCESS_TOKEN: z.string().min(1),
  META_APP_SECRET: z.string().min(1).optional(),
  GRAPH_API_BASE_URL: z.url().default(DEFAULT_BASE_URL),
  GRAPH_API_VERSION: z.string().regex(GRAPH_VERSION, 'GRAPH_API_VERSION must look like v23.0').default(DEFAULT_VERSION),
  WABA_CONFIG: z.string().optional(),
  WABA_ID: numericId('WABA_ID').optional(),
  META_BUSINESS_ID: numericId('META_BUSINESS_ID').optional(),
  APPROVER_IDS: slackIds().optional(),
  ADMIN_IDS: slackIds().optional(),
  APPROVALS_REQUIRED: z
    .string()
    .default('1')
    .transform((value, ctx) => {
      const counts = parseApprovalCounts(value);
      if (typeof counts === 'string') {
        ctx.addIssue({ code: 'custom', message: counts });
        return z.NEVER;
      }
      return counts;
    }),
  APPROVAL_CHANNEL_ID: z
    .string()
    .regex(/^[CGD][A-Z0-9]{2,}$/, 'APPROVAL_CHANNEL_ID must be a channel id (C…/G…)')
    .optional(),
  REQUEST_TTL: duration('REQUEST_TTL').default(24 * 3_600_000),
  REMIND_AFTER: z.union([z.literal('off'), duration('REMIND_AFTER')]).default(4 * 3_600_000),
  REVIEW_EVERY: z
    .union([
      z.literal('off'),
      duration('REVIEW_EVERY').refine((ms) => ms >= 60_000, 'REVIEW_EVERY must be at least 1m (or off)'),
    ])
    .default('off'),
  EXPIRY_NOTICE: durationOrOff('EXPIRY_NOTICE').default(15 * 60_000),
  BREAK_GLASS_IDS: slackIds().optional(),
  BREAK_GLASS_TASKS: taskNames('BREAK_GLASS_TASKS').optional(),
  BREAK_GLASS_MAX: duration('BREAK_GLASS_MAX').optional(),
  DEFAULT_GRANT_DURATION: duration('DEFAULT_GRANT_DURATION').optional(),
  MAX_GRANT_DURATION: duration('MAX_GRANT_DURATION').default(30 * 86_400_000),
  MIN_GRANT_DURATION: duration('MIN_GRANT_DURATION').default(60_000),
  ALLOW_PERMANENT_GRANTS: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'ALLOW_PERMANENT_GRANTS must be true or false' })
    .default('true')
    .transform((value) => ['true', '1', 'yes'].includes(value)),
  COMMANDS_PER_MINUTE: z.coerce
    .number({ message: 'COMMANDS_PER_MINUTE must be a whole number' })
    .int('COMMANDS_PER_MINUTE must be a whole number')
    .min(1, 'COMMANDS_PER_MINUTE must be at least 1')
    .max(10_000, 'COMMANDS_PER_MINUTE must be at most 10000')
    .default(20),
  DRIFT_CHECK_EVERY: z
    .string()
    .default('1h')
    .transform((value, ctx) => {
      if (value.trim().toLowerCase() === 'off') return 'off' as const;
      const ms = parseDuration(value);
      if (ms === undefined || ms < MIN_DRIFT_CHECK_MS) {
        ctx.addIssue({
          code: 'custom',
          message:
            ms === undefined
              ? `DRIFT_CHECK_EVERY must be a duration like 30m, 4h or 2d, or off; got "${value}"`
              : 'DRIFT_CHECK_EVERY must be at least 10s (or off): each check reads every roster',
        });
        return z.NEVER;
      }
      return ms;
    }),
  HISTORY_DAYS: z.coerce
    .number({ message: 'HISTORY_DAYS must be a whole number of days' })
    .int('HISTORY_DAYS must be a whole number of days')
    .min(1, 'HISTORY_DAYS must be at least 1')
    .max(3_660, 'HISTORY_DAYS must be at most 3660 (ten years)')
    .default(400),
  STORE_URL: z
    .string()
    .default('sqlite://./data/waba-access.sqlite')
    .refine(
      (url) => /^(sqlite|redis|rediss|memory):\/\//.test(url),
      'STORE_URL must start with sqlite://, redis:// or memory://',
    ),
  STORE_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'STORE_NAMESPACE must be lowercase letters, digits and dashes')
    .default('waba-access'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z
    .string()
    .regex(/^\S{16,}$/, 'METRICS_TOKEN must be at least 16 characters without spaces, e.g. from `openssl rand -hex 24`')
    .optional(),
  AUDIT_WEBHOOK_URL: z
    .string()
    .refine(isWebhookUrl, {
      message:
        'AUDIT_WEBHOOK_URL must be an https:// address (http:// only to this machine: localhost, 127.0.0.1, [::1])',
    })
    .optional(),
  AUDIT_WEBHOOK_SECRET: z.string().min(16, 'AUDIT_WEBHOOK_SECRET must be at least 16 characters').optional(),
});

/** An https address, or http to loopback only: audit entries never cross a network in the clear. */
function isWebhookUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host));
}
