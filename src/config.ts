import { accountPolicy, breakGlassPolicy, type Policy, singleAccountPolicy } from './access/accounts.js';
import { TASKS } from './access/tasks.js';
import { ConfigError } from './config-error.js';
import { schema } from './config-schema.js';
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
