import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadStoreSettings, secretsOf } from '../src/config.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'signing-secret',
  META_ACCESS_TOKEN: 'meta-token',
  WABA_ID: '123',
  META_BUSINESS_ID: '456',
  APPROVER_IDS: 'U0001, U0002,S0003',
};

describe('loadConfig', () => {
  it('fills defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      slack: { port: 3000, appToken: undefined },
      graph: { baseUrl: 'https://graph.facebook.com', version: 'v23.0' },
      policy: {
        defaultAlias: 'default',
        adminIds: ['U0001', 'U0002', 'S0003'],
        accounts: [{ alias: 'default', wabaId: '123', businessId: '456', approverIds: ['U0001', 'U0002', 'S0003'] }],
      },
      requestTtlMs: 24 * 3_600_000,
      commandsPerMinute: 20,
      storeUrl: 'sqlite://./data/waba-access.sqlite',
      storeNamespace: 'waba-access',
      logLevel: 'info',
    });
  });

  it('reads every optional setting', () => {
    const config = loadConfig({
      ...valid,
      SLACK_APP_TOKEN: 'xapp-1',
      PORT: '8080',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      META_APP_SECRET: 'app-secret',
      GRAPH_API_BASE_URL: 'http://127.0.0.1:8',
      GRAPH_API_VERSION: 'v26.0',
      APPROVAL_CHANNEL_ID: 'C0123',
      REQUEST_TTL: '2h',
      STORE_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      slack: { appToken: 'xapp-1', port: 8080, apiUrl: 'http://127.0.0.1:9/api/' },
      graph: { appSecret: 'app-secret', version: 'v26.0' },
      policy: { accounts: [{ approvalChannelId: 'C0123' }] },
      requestTtlMs: 7_200_000,
      storeUrl: 'redis://127.0.0.1:6379',
    });
    expect(secretsOf(config)).toEqual(['xoxb-1', 'signing-secret', 'xapp-1', 'meta-token', 'app-secret']);
  });

  it('reads METRICS_TOKEN as a secret, and refuses one too short or with spaces', () => {
    const token = 'a-metrics-token-0123456789';
    const config = loadConfig({ ...valid, METRICS_TOKEN: token });
    expect(config.metricsToken).toBe(token);
    expect(secretsOf(config)).toContain(token);
    expect(loadConfig(valid).metricsToken).toBeUndefined();
    for (const value of ['short', 'sixteen chars with spaces']) {
      expect(() => loadConfig({ ...valid, METRICS_TOKEN: value })).toThrow(
        expect.objectContaining({
          problems: [
            'METRICS_TOKEN is invalid: METRICS_TOKEN must be at least 16 characters without spaces, e.g. from `openssl rand -hex 24`.',
          ],
        }),
      );
    }
  });

  it('reads the per-person command limit, and refuses one that is not a positive whole number', () => {
    expect(loadConfig({ ...valid, COMMANDS_PER_MINUTE: '5' }).commandsPerMinute).toBe(5);
    for (const value of ['0', '2.5', 'lots']) {
      const error = (() => {
        try {
          loadConfig({ ...valid, COMMANDS_PER_MINUTE: value });
        } catch (caught) {
          return caught as ConfigError;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error!.problems).toEqual([expect.stringMatching(/^COMMANDS_PER_MINUTE is invalid: /)]);
    }
  });

  it('reads how often drift is checked and how many days of history are kept, and refuses what cannot work', () => {
    expect(loadConfig(valid)).toMatchObject({ driftCheckEveryMs: 3_600_000, historyDays: 400 });
    expect(loadConfig({ ...valid, DRIFT_CHECK_EVERY: '15m', HISTORY_DAYS: '30' })).toMatchObject({
      driftCheckEveryMs: 900_000,
      historyDays: 30,
    });
    expect(loadConfig({ ...valid, DRIFT_CHECK_EVERY: 'off' })).not.toHaveProperty('driftCheckEveryMs');
    expect(loadConfig({ ...valid, DRIFT_CHECK_EVERY: '10s' }).driftCheckEveryMs).toBe(10_000);
    expect(() => loadConfig({ ...valid, DRIFT_CHECK_EVERY: '5s' })).toThrow('DRIFT_CHECK_EVERY must be at least 10s');
    expect(() => loadConfig({ ...valid, DRIFT_CHECK_EVERY: 'hourly' })).toThrow(
      'DRIFT_CHECK_EVERY must be a duration like 30m, 4h or 2d',
    );
    for (const days of ['0', '1.5', 'a year', '99999'])
      expect(() => loadConfig({ ...valid, HISTORY_DAYS: days })).toThrow('HISTORY_DAYS');
  });

  it('reads grant durations, with defaults that keep grants permanent unless asked', () => {
    expect(loadConfig(valid).policy.accounts[0]!.durations).toEqual({
      maxMs: 30 * 86_400_000,
      minMs: 60_000,
      allowPermanent: true,
    });
    expect(
      loadConfig({
        ...valid,
        DEFAULT_GRANT_DURATION: '8h',
        MAX_GRANT_DURATION: '7d',
        MIN_GRANT_DURATION: '5m',
        ALLOW_PERMANENT_GRANTS: 'false',
      }).policy.accounts[0]!.durations,
    ).toEqual({ defaultMs: 8 * 3_600_000, maxMs: 7 * 86_400_000, minMs: 300_000, allowPermanent: false });
  });

  it.each([
    [{ MIN_GRANT_DURATION: '2d', MAX_GRANT_DURATION: '1d' }, /MIN_GRANT_DURATION is longer than MAX_GRANT_DURATION/],
    [{ DEFAULT_GRANT_DURATION: '9d', MAX_GRANT_DURATION: '7d' }, /DEFAULT_GRANT_DURATION must lie between/],
    [{ ALLOW_PERMANENT_GRANTS: 'maybe' }, /ALLOW_PERMANENT_GRANTS must be true or false/],
    [{ MAX_GRANT_DURATION: 'a week' }, /MAX_GRANT_DURATION must be a duration/],
  ])('explains inconsistent grant limits %o', (env, message) => {
    expect(() => loadConfig({ ...valid, ...env })).toThrow(message);
  });

  it('reads how many approvals requests need, by default and by task', () => {
    expect(loadConfig(valid).policy.accounts[0]!.approvals).toEqual({ default: 1, byTask: {} });
    expect(
      loadConfig({ ...valid, APPROVALS_REQUIRED: '1, FULL_CONTROL=2,MANAGE = 3' }).policy.accounts[0]!.approvals,
    ).toEqual({
      default: 1,
      byTask: { FULL_CONTROL: 2, MANAGE: 3 },
    });
    expect(loadConfig({ ...valid, APPROVALS_REQUIRED: '2' }).policy.accounts[0]!.approvals).toEqual({
      default: 2,
      byTask: {},
    });
    const problems = (value: string) => {
      try {
        loadConfig({ ...valid, APPROVALS_REQUIRED: value });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems('FULL_CONTROLL=2')).toEqual([
      expect.stringMatching(/^APPROVALS_REQUIRED is invalid: "FULL_CONTROLL" is not a task; tasks are MANAGE, /),
    ]);
    expect(problems('0')).toEqual([expect.stringContaining('"0" is not understood')]);
    expect(problems('two')).toEqual([expect.stringContaining('e.g. "1, FULL_CONTROL=2"')]);
  });

  it('reads the heads-up before grants end, 15 minutes unless set, and off', () => {
    expect(loadConfig(valid).expiryNoticeMs).toBe(15 * 60_000);
    expect(loadConfig({ ...valid, EXPIRY_NOTICE: '1h' }).expiryNoticeMs).toBe(3_600_000);
    expect(loadConfig({ ...valid, EXPIRY_NOTICE: 'off' }).expiryNoticeMs).toBeUndefined();
    expect(() => loadConfig({ ...valid, EXPIRY_NOTICE: 'soon' })).toThrow(
      /EXPIRY_NOTICE is invalid: EXPIRY_NOTICE must be a duration like 30m, 4h or 2d, or off, got "soon"/,
    );
  });

  it('reads break-glass: nobody unless listed, every task and an hour unless narrowed', () => {
    expect(loadConfig(valid).policy.accounts[0]!.breakGlass).toBeUndefined();
    expect(loadConfig({ ...valid, BREAK_GLASS_IDS: 'UONCALL, S0SRE' }).policy.accounts[0]!.breakGlass).toEqual({
      people: ['UONCALL', 'S0SRE'],
      tasks: expect.arrayContaining(['MESSAGING', 'FULL_CONTROL']),
      maxMs: 3_600_000,
    });
    const narrow = loadConfig({
      ...valid,
      BREAK_GLASS_IDS: 'UONCALL',
      BREAK_GLASS_TASKS: 'messaging view_templates',
      BREAK_GLASS_MAX: '30m',
    });
    expect(narrow.policy.accounts[0]!.breakGlass).toEqual({
      people: ['UONCALL'],
      tasks: ['VIEW_TEMPLATES', 'MESSAGING'],
      maxMs: 30 * 60_000,
    });
    // Never longer than the longest grant, when the longest grant is the one set.
    const short = loadConfig({ ...valid, BREAK_GLASS_IDS: 'UONCALL', MAX_GRANT_DURATION: '20m' });
    expect(short.policy.accounts[0]!.breakGlass?.maxMs).toBe(20 * 60_000);
  });

  it.each([
    ['BREAK_GLASS_IDS', 'oncall', /BREAK_GLASS_IDS is invalid: "oncall" is not a Slack user id/],
    [
      'BREAK_GLASS_TASKS',
      'MESAGING',
      /BREAK_GLASS_TASKS is invalid: "MESAGING" is not a task \(did you mean MESSAGING\?\)/,
    ],
    ['BREAK_GLASS_MAX', 'an hour', /BREAK_GLASS_MAX must be a duration like 30m/],
    ['BREAK_GLASS_MAX', '40d', /BREAK_GLASS_MAX is longer than MAX_GRANT_DURATION/],
  ])('explains an invalid %s (%s)', (name, value, message) => {
    expect(() => loadConfig({ ...valid, BREAK_GLASS_IDS: 'UONCALL', [name]: value })).toThrow(message);
  });

  it('lists every missing variable with what it is and where to get it, one line each', () => {
    const error = (() => {
      try {
        loadConfig({ WABA_ID: '', SLACK_BOT_TOKEN: 'xoxb-1' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((line) => line.split(' ')[0])).toEqual([
      'SLACK_SIGNING_SECRET',
      'META_ACCESS_TOKEN',
      'WABA_ID',
      'META_BUSINESS_ID',
      'APPROVER_IDS',
    ]);
    expect(error!.problems[0]).toMatch(/is missing: .*Basic Information/);
  });

  it('starts access reviews on a schedule only when REVIEW_EVERY asks for one', () => {
    expect(loadConfig(valid).reviewEveryMs).toBeUndefined();
    expect(loadConfig({ ...valid, REVIEW_EVERY: 'off' }).reviewEveryMs).toBeUndefined();
    expect(loadConfig({ ...valid, REVIEW_EVERY: '90d' }).reviewEveryMs).toBe(90 * 86_400_000);
    expect(() => loadConfig({ ...valid, REVIEW_EVERY: '30s' })).toThrow(/REVIEW_EVERY must be at least 1m \(or off\)/);
    expect(() => loadConfig({ ...valid, REVIEW_EVERY: 'quarterly' })).toThrow(/REVIEW_EVERY/);
  });

  it.each([
    ['WABA_ID', 'abc', /WABA_ID is invalid: WABA_ID must be digits only/],
    ['APPROVER_IDS', 'U0001,alice', /APPROVER_IDS is invalid: "alice" is not a Slack user id/],
    ['REQUEST_TTL', 'tomorrow', /REQUEST_TTL must be a duration like 30m/],
    ['STORE_URL', 'postgres://x', /STORE_URL must start with sqlite:\/\//],
    ['SLACK_APP_TOKEN', 'xoxb-wrong', /app-level token starting with xapp-/],
    ['GRAPH_API_VERSION', '23', /must look like v23.0/],
    ['STORE_NAMESPACE', 'Has Spaces', /lowercase letters, digits and dashes/],
  ])('explains an invalid %s', (name, value, message) => {
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(message);
  });

  describe('with a policy file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    const path = join(dir, 'policy.yml');
    writeFileSync(
      path,
      'default_account: sales\nadmins: [UADMIN]\naccounts:\n  support:\n    waba_id: 1\n    business_id: 2\n    approvers: [UANN]\n  sales:\n    waba_id: 3\n    business_id: 2\n    approvers: [UBOB, UCARA]\n    approvals: 2\n',
    );
    const { WABA_ID: _w, META_BUSINESS_ID: _b, APPROVER_IDS: _a, ...common } = valid;

    it('takes the accounts from the file, and the environment’s settings as their defaults', () => {
      const config = loadConfig({ ...common, WABA_CONFIG: path, APPROVAL_CHANNEL_ID: 'C0APPROVALS' });
      expect(config.policyFile?.path).toBe(path);
      expect(config.policy.defaultAlias).toBe('sales');
      expect(config.policy.accounts).toMatchObject([
        { alias: 'support', wabaId: '1', approvals: { default: 1 }, approvalChannelId: 'C0APPROVALS' },
        { alias: 'sales', wabaId: '3', approvals: { default: 2 }, approvalChannelId: 'C0APPROVALS' },
      ]);
    });

    it('refuses the single-account variables beside it, so where accounts come from is never in doubt', () => {
      expect(() => loadConfig({ ...valid, WABA_CONFIG: path })).toThrow(
        /WABA_ID is set, but so is WABA_CONFIG, whose policy file lists the accounts: remove WABA_ID, or WABA_CONFIG/,
      );
    });

    it('passes on the file’s problems with their lines', () => {
      writeFileSync(join(dir, 'bad.yml'), 'accounts:\n  support:\n    waba_id: x\n');
      expect(() => loadConfig({ ...common, WABA_CONFIG: join(dir, 'bad.yml') })).toThrow(
        /bad\.yml:3: accounts\.support\.waba_id: "x" is not a Meta id/,
      );
    });
  });
});

describe('the audit webhook settings', () => {
  const secret = 'a-webhook-secret-0123456789';

  it('reads the address and the secret, and keeps the secret out of logs', () => {
    const config = loadConfig({
      ...valid,
      AUDIT_WEBHOOK_URL: 'https://audit.example.com/in',
      AUDIT_WEBHOOK_SECRET: secret,
    });
    expect(config.auditWebhook).toEqual({ url: 'https://audit.example.com/in', secret });
    expect(secretsOf(config)).toContain(secret);
    expect(loadConfig(valid).auditWebhook).toBeUndefined();
  });

  it('takes plain http only to this machine', () => {
    for (const url of ['http://127.0.0.1:9000/audit', 'http://localhost/audit', 'http://[::1]:8080/']) {
      expect(loadConfig({ ...valid, AUDIT_WEBHOOK_URL: url, AUDIT_WEBHOOK_SECRET: secret }).auditWebhook?.url).toBe(
        url,
      );
    }
    for (const url of [
      'http://audit.example.com/in',
      'http://10.0.0.5/in',
      'ftp://x/',
      'not a url',
      'http://127.0.0.1.evil.com/',
    ]) {
      expect(() => loadConfig({ ...valid, AUDIT_WEBHOOK_URL: url, AUDIT_WEBHOOK_SECRET: secret }), url).toThrow(
        /AUDIT_WEBHOOK_URL is invalid: AUDIT_WEBHOOK_URL must be an https:\/\/ address \(http:\/\/ only to this machine/,
      );
    }
  });

  it('needs a secret of some length when the address is set', () => {
    expect(() => loadConfig({ ...valid, AUDIT_WEBHOOK_URL: 'https://audit.example.com/in' })).toThrow(
      /AUDIT_WEBHOOK_SECRET is missing: AUDIT_WEBHOOK_URL is set, and every entry sent there is signed with it/,
    );
    expect(() =>
      loadConfig({ ...valid, AUDIT_WEBHOOK_URL: 'https://audit.example.com/in', AUDIT_WEBHOOK_SECRET: 'short' }),
    ).toThrow(/AUDIT_WEBHOOK_SECRET must be at least 16 characters/);
  });
});

describe('loadStoreSettings', () => {
  it('needs nothing but where the store is, with the same defaults and checks as the bot', () => {
    expect(loadStoreSettings({})).toEqual({
      storeUrl: 'sqlite://./data/waba-access.sqlite',
      storeNamespace: 'waba-access',
    });
    expect(loadStoreSettings({ STORE_URL: 'redis://x:6379', STORE_NAMESPACE: 'prod' })).toEqual({
      storeUrl: 'redis://x:6379',
      storeNamespace: 'prod',
    });
    expect(() => loadStoreSettings({ STORE_NAMESPACE: 'Bad Name' })).toThrow(ConfigError);
  });
});
