import { z } from 'zod';
import { accountPolicy, breakGlassPolicy, type Policy, singleAccountPolicy } from './access/accounts.js';
import { parseDuration } from './access/duration.js';
import type { ApprovalCounts } from './access/policy.js';
import { isTask, nearestTask, normalizeTasks, TASKS, type Task } from './access/tasks.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_BASE_URL, DEFAULT_VERSION } from './graph/client.js';
import { META_ID } from './graph/ids.js';
import { type PolicyDefaults, readPolicyFile } from './policy-file.js';

export { ConfigError } from './config-error.js';

/** Every setting, validated. The one place that reads the environment. */
export interface Config {
  slack: {
    botToken: string;
    signingSecret: string;
    /** Set: Socket Mode. Unset: HTTP mode on `port`. */
    appToken?: string;
    port: number;
    apiUrl?: string;
  };
  graph: {
    accessToken: string;
    appSecret?: string;
    baseUrl: string;
    version: string;
  };
  /** The accounts and their rules: one account from the environment, or several from the policy file. */
  policy: Policy;
  /** Set when the policy comes from a file, so it can be read again (SIGHUP) with the same defaults. */
  policyFile?: { path: string; defaults: PolicyDefaults };
  requestTtlMs: number;
  /** Approvers are reminded once of requests pending this long; unset (`off`): never. */
  remindAfterMs?: number;
  /** An access review of each account starts this long after the last one started; unset (`off`): never. */
  reviewEveryMs?: number;
  /** How long before a temporary grant ends its requester and the person it is for hear of it; unset (`off`): never. */
  expiryNoticeMs?: number;
  /** Commands that cost Graph calls one person may send in a minute (counted per process). */
  commandsPerMinute: number;
  /** How often each account's roster is compared with what the bot expects; unset (`off`): never. */
  driftCheckEveryMs?: number;
  /** How many days of roster history are kept (one record per day per account). */
  historyDays: number;
  storeUrl: string;
  /** Keeps several deployments apart in one Redis. */
  storeNamespace: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Where every audit entry is sent, signed with the secret; unset: nowhere. */
  auditWebhook?: { url: string; secret: string };
}

/** What each required variable is and where to get it: printed, one line each, when it is missing. */
const REQUIRED: Record<string, string> = {
  SLACK_BOT_TOKEN: "the bot token (xoxb-…), from your Slack app's OAuth & Permissions page",
  SLACK_SIGNING_SECRET: "the signing secret, from your Slack app's Basic Information page",
  META_ACCESS_TOKEN:
    'a system-user access token with whatsapp_business_management, from Meta Business Settings → System users',
};

/** The one account of a setup without a policy file; a policy file lists its accounts instead. */
const ACCOUNT_VARIABLES: Record<string, string> = {
  WABA_ID: 'the WhatsApp Business Account id (digits), from WhatsApp Manager → Account tools → Account info',
  META_BUSINESS_ID: 'the id (digits) of the business that owns the WABA, from Meta Business Settings → Business info',
  APPROVER_IDS:
    'comma-separated Slack user ids (U…) and/or user-group ids (S…) who may approve, from a profile → ⋮ → Copy member ID',
};

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

const schema = z.object({
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
  GRAPH_API_VERSION: z
    .string()
    .regex(/^v[0-9]+\.[0-9]+$/, 'GRAPH_API_VERSION must look like v23.0')
    .default(DEFAULT_VERSION),
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

/** What a tool that only reads the store (`npm run audit`) needs: where the store is. Nothing about Slack or Meta. */
export interface StoreSettings {
  storeUrl: string;
  storeNamespace: string;
}

/** Reads STORE_URL and STORE_NAMESPACE from `env`; throws a ConfigError when either is invalid. */
export function loadStoreSettings(env: NodeJS.ProcessEnv = process.env): StoreSettings {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = schema.pick({ STORE_URL: true, STORE_NAMESPACE: true }).safeParse(present);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])} is invalid: ${issue.message}.`));
  return { storeUrl: parsed.data.STORE_URL, storeNamespace: parsed.data.STORE_NAMESPACE };
}

/** Reads the config from `env`; throws a ConfigError listing every problem, one line each. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const fromFile = present.WABA_CONFIG !== undefined;
  const missing = Object.entries({ ...REQUIRED, ...(fromFile ? {} : ACCOUNT_VARIABLES) })
    .filter(([name]) => present[name] === undefined)
    .map(([name, what]) => `${name} is missing: ${what}.`);
  const both = fromFile
    ? Object.keys(ACCOUNT_VARIABLES)
        .filter((name) => present[name] !== undefined)
        .map(
          (name) =>
            `${name} is set, but so is WABA_CONFIG, whose policy file lists the accounts: remove ${name}, or WABA_CONFIG to use a single account from the environment.`,
        )
    : [];
  const parsed = schema.safeParse(present);
  const invalid = parsed.success
    ? []
    : parsed.error.issues
        .filter((issue) => !(issue.code === 'invalid_type' && present[String(issue.path[0])] === undefined))
        .map((issue) => `${String(issue.path[0])} is invalid: ${issue.message}.`);
  if (missing.length > 0 || both.length > 0 || invalid.length > 0 || !parsed.success)
    throw new ConfigError([...new Set([...missing, ...both, ...invalid])]);

  const e = parsed.data;
  const limits = [
    e.MIN_GRANT_DURATION > e.MAX_GRANT_DURATION && 'MIN_GRANT_DURATION is longer than MAX_GRANT_DURATION.',
    e.DEFAULT_GRANT_DURATION !== undefined &&
      (e.DEFAULT_GRANT_DURATION > e.MAX_GRANT_DURATION || e.DEFAULT_GRANT_DURATION < e.MIN_GRANT_DURATION) &&
      'DEFAULT_GRANT_DURATION must lie between MIN_GRANT_DURATION and MAX_GRANT_DURATION.',
    e.BREAK_GLASS_MAX !== undefined &&
      e.BREAK_GLASS_MAX > e.MAX_GRANT_DURATION &&
      'BREAK_GLASS_MAX is longer than MAX_GRANT_DURATION: an emergency grant cannot outlast the longest grant.',
    e.BREAK_GLASS_MAX !== undefined &&
      e.BREAK_GLASS_MAX < e.MIN_GRANT_DURATION &&
      'BREAK_GLASS_MAX is shorter than MIN_GRANT_DURATION.',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (e.AUDIT_WEBHOOK_URL && !e.AUDIT_WEBHOOK_SECRET) {
    limits.push(
      'AUDIT_WEBHOOK_SECRET is missing: AUDIT_WEBHOOK_URL is set, and every entry sent there is signed with it (e.g. the output of `openssl rand -hex 32`, shared with the receiver).',
    );
  }
  if (limits.length > 0) throw new ConfigError(limits);

  const durations = {
    ...(e.DEFAULT_GRANT_DURATION === undefined ? {} : { defaultMs: e.DEFAULT_GRANT_DURATION }),
    maxMs: e.MAX_GRANT_DURATION,
    minMs: e.MIN_GRANT_DURATION,
    allowPermanent: e.ALLOW_PERMANENT_GRANTS,
  };
  const breakGlass = {
    ...(e.BREAK_GLASS_IDS ? { people: e.BREAK_GLASS_IDS } : {}),
    ...(e.BREAK_GLASS_TASKS ? { tasks: e.BREAK_GLASS_TASKS } : {}),
    ...(e.BREAK_GLASS_MAX === undefined ? {} : { maxMs: e.BREAK_GLASS_MAX }),
  };
  const defaults: PolicyDefaults = {
    approvals: e.APPROVALS_REQUIRED,
    durations,
    ...(e.APPROVAL_CHANNEL_ID ? { approvalChannelId: e.APPROVAL_CHANNEL_ID } : {}),
    ...(e.ADMIN_IDS ? { adminIds: e.ADMIN_IDS } : {}),
    breakGlass,
  };
  const envBreakGlass = breakGlassPolicy({ tasks: TASKS, durations }, breakGlass);
  const policyFile = e.WABA_CONFIG === undefined ? undefined : { path: e.WABA_CONFIG, defaults };
  const policy = policyFile
    ? readPolicyFile(policyFile.path, defaults)
    : singleAccountPolicy(
        accountPolicy({
          wabaId: e.WABA_ID!,
          businessId: e.META_BUSINESS_ID!,
          approverIds: e.APPROVER_IDS!,
          ...(e.APPROVAL_CHANNEL_ID ? { approvalChannelId: e.APPROVAL_CHANNEL_ID } : {}),
          approvals: e.APPROVALS_REQUIRED,
          durations,
          ...(envBreakGlass ? { breakGlass: envBreakGlass } : {}),
        }),
        e.ADMIN_IDS,
      );
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      port: e.PORT,
      apiUrl: e.SLACK_API_URL,
    },
    graph: {
      accessToken: e.META_ACCESS_TOKEN,
      appSecret: e.META_APP_SECRET,
      baseUrl: e.GRAPH_API_BASE_URL,
      version: e.GRAPH_API_VERSION,
    },
    policy,
    ...(policyFile ? { policyFile } : {}),
    requestTtlMs: e.REQUEST_TTL,
    ...(e.REMIND_AFTER === 'off' ? {} : { remindAfterMs: e.REMIND_AFTER }),
    ...(e.REVIEW_EVERY === 'off' ? {} : { reviewEveryMs: e.REVIEW_EVERY }),
    ...(e.EXPIRY_NOTICE === 'off' ? {} : { expiryNoticeMs: e.EXPIRY_NOTICE }),
    commandsPerMinute: e.COMMANDS_PER_MINUTE,
    ...(e.DRIFT_CHECK_EVERY === 'off' ? {} : { driftCheckEveryMs: e.DRIFT_CHECK_EVERY }),
    historyDays: e.HISTORY_DAYS,
    storeUrl: e.STORE_URL,
    storeNamespace: e.STORE_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    ...(e.AUDIT_WEBHOOK_URL && e.AUDIT_WEBHOOK_SECRET
      ? { auditWebhook: { url: e.AUDIT_WEBHOOK_URL, secret: e.AUDIT_WEBHOOK_SECRET } }
      : {}),
  };
}

/** The values that must never appear in logs, messages or errors. */
export function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.graph.accessToken,
    config.graph.appSecret,
    config.metricsToken,
    config.auditWebhook?.secret,
  ].filter((value): value is string => typeof value === 'string' && value.length >= 6);
}
