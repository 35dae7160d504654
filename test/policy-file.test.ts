import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config-error.js';
import { TASKS } from '../src/graph/tasks.js';
import { type PolicyDefaults, parsePolicy, readPolicyFile } from '../src/policy-file.js';
import { billionLaughs } from './support/hostile-yaml.js';

const DAY = 86_400_000;
const defaults: PolicyDefaults = {
  approvals: { default: 1, byTask: { FULL_CONTROL: 3 } },
  durations: { maxMs: 30 * DAY, minMs: 60_000, allowPermanent: true },
  approvalChannelId: 'CENVCHANNEL',
};

/** The problems a file has, one line each. */
function problemsOf(text: string, env: PolicyDefaults = defaults): string[] {
  try {
    parsePolicy(text, 'policy.yml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the file was accepted');
}

const ONE = `accounts:
  support:
    waba_id: 104000000000001
    business_id: 203000000000001
    approvers: [UANN, UBOB]
`;

describe('the policy file', () => {
  it('reads the README’s complete example', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /```yaml\n(# policy\.yml[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const policy = parsePolicy(example!, 'policy.yml', defaults);
    expect(policy.defaultAlias).toBe('support');
    expect(policy.adminIds).toEqual(['U0ADMIN01', 'S0PLATFORM']);
    expect(policy.accounts.map((account) => account.alias)).toEqual(['support', 'sales']);
    expect(policy.accounts[0]).toEqual({
      alias: 'support',
      wabaId: '104000000000001',
      businessId: '203000000000001',
      approverIds: ['U0ANNA001', 'S0SUPLEADS'],
      approvalChannelId: 'C0APPROVALS',
      tasks: ['MANAGE_TEMPLATES', 'VIEW_TEMPLATES', 'VIEW_INSIGHTS', 'MESSAGING'],
      approvals: { default: 1, byTask: { MANAGE_TEMPLATES: 2 } },
      durations: { defaultMs: 8 * 3_600_000, maxMs: 7 * DAY, minMs: 60_000, allowPermanent: false },
      reasonRequired: true,
      requesters: { people: ['U0LEAD0001', 'S0TEAMLEADS'], channelIds: ['C0SUPPORT1'] },
    });
    expect(policy.accounts[1]).toMatchObject({
      approvals: { default: 2, byTask: {} },
      durations: { maxMs: 30 * DAY, allowPermanent: true },
      reasonRequired: false,
    });
    expect(policy.people.bySlackId).toEqual(new Map([['U0ALICE001', '300000000000001']]));
    expect(policy.people.byEmail).toEqual(new Map([['bob@example.com', '300000000000002']]));
  });

  it('keeps long ids written without quotes exact, beyond what a JavaScript number holds', () => {
    const policy = parsePolicy(ONE.replace('104000000000001', '1040000000000012345'), 'p.yml', defaults);
    expect(policy.accounts[0]!.wabaId).toBe('1040000000000012345');
  });

  it('fills what an account leaves out from the environment, and makes the only account the default', () => {
    const policy = parsePolicy(ONE, 'p.yml', defaults);
    expect(policy.defaultAlias).toBe('support');
    expect(policy.adminIds).toEqual(['UANN', 'UBOB']);
    expect(policy.accounts[0]).toMatchObject({
      tasks: TASKS,
      approvals: defaults.approvals,
      durations: defaults.durations,
      approvalChannelId: 'CENVCHANNEL',
      reasonRequired: false,
    });
    expect(policy.accounts[0]).not.toHaveProperty('requesters');
    expect(parsePolicy(ONE, 'p.yml', { ...defaults, adminIds: ['SADMINS'] }).adminIds).toEqual(['SADMINS']);
  });

  it('names the file, the line and the setting of every problem', () => {
    const text = `accounts:
  support:
    waba_id: 1040000x
    business_id: 1.5
    aprovers: [UANN]
    tasks: [MESAGING]
    approvals: { default: 0 }
    max_duration: 7 days
    requesters: {}
  sales:
    waba_id: 104000000000002
    business_id: 2
    approvers: []
`;
    expect(problemsOf(text)).toEqual([
      'policy.yml:3: accounts.support.waba_id: "1040000x" is not a Meta id (digits only).',
      'policy.yml:4: accounts.support.business_id: must be a Meta id (digits).',
      expect.stringMatching(/^policy\.yml:2: accounts\.support\.approvers: is missing \(it must be a list of Slack/),
      expect.stringMatching(
        /^policy\.yml:6: accounts\.support\.tasks\[0\]: "MESAGING" is not a task \(did you mean MESSAGING\?\); tasks are MANAGE,/,
      ),
      'policy.yml:7: accounts.support.approvals.default: must be at least 1.',
      'policy.yml:8: accounts.support.max_duration: "7 days" is not a duration like 30m, 4h or 2d, or permanent.',
      'policy.yml:9: accounts.support.requesters: must list channels or users; leave `requesters` out to let anyone ask.',
      "policy.yml:5: accounts.support.aprovers: is not a setting here; check the spelling against the README's example.",
      'policy.yml:13: accounts.sales.approvers: must list at least one person or user group.',
    ]);
  });

  it.each([
    [
      'several accounts without a default',
      `admins: [UADMIN]\n${ONE}  sales:\n    waba_id: 2\n    business_id: 3\n    approvers: [UCARA]\n`,
      /^policy\.yml:1: default_account: is needed with several accounts: name the one commands without `on` use \(support, sales\)\.$/,
    ],
    [
      'a default that is not an account',
      `default_account: nope\n${ONE}`,
      /^policy\.yml:1: default_account: "nope" is not one of/,
    ],
    [
      'one WABA under two aliases',
      `default_account: support\nadmins: [UADMIN]\n${ONE}  again:\n    waba_id: 104000000000001\n    business_id: 3\n    approvers: [UCARA]\n`,
      /^policy\.yml:9: accounts\.again\.waba_id: WABA 104000000000001 is already account "support"/,
    ],
    [
      'an alias people could not type',
      ONE.replace('support:', 'Support Desk:'),
      /accounts\.Support Desk: "Support Desk" is not an alias/,
    ],
    [
      'more approvals than listed approvers',
      `${ONE}    approvals: { default: 1, FULL_CONTROL: 3 }\n`,
      /^policy\.yml:6: accounts\.support\.approvals: asks for 3 approvals, but the account lists only 2 approver\(s\)\.$/,
    ],
    [
      'one Meta user for two people',
      `${ONE}people:\n  UALICE: 300\n  alice@example.com: 300\n`,
      /^policy\.yml:8: people\.alice@example\.com: Meta user 300 is already UALICE; one Meta user is one person\.$/,
    ],
    [
      'a person who is neither an id nor an email',
      `${ONE}people:\n  alice: 300\n`,
      /people\.alice: "alice" is neither a Slack user id/,
    ],
    [
      'a task count for something that is not a task',
      `${ONE}    approvals: { FULLCONTROL: 2 }\n`,
      /approvals\.FULLCONTROL: "FULLCONTROL" is neither `default` nor a task/,
    ],
    ['broken YAML', 'accounts:\n  support: [\n', /^policy\.yml:3: .* \(not valid YAML\)\.$/],
    [
      'a key given twice',
      `${ONE}  support:\n    waba_id: 9\n`,
      /^policy\.yml:6: Map keys must be unique \(not valid YAML\)\.$/,
    ],
    ['an empty file', '', /^policy\.yml: accounts: is missing/],
  ])('explains %s', (_case, text, problem) => {
    expect(problemsOf(text)).toEqual([expect.stringMatching(problem)]);
  });

  describe('admins', () => {
    const TWO = `default_account: support\n${ONE}  sales:\n    waba_id: 104000000000002\n    business_id: 203000000000001\n    approvers: [UCARA]\n`;

    it('must be named with several accounts, where no approver list can stand in for them', () => {
      expect(problemsOf(TWO)).toEqual([
        'policy.yml:1: admins: is needed with several accounts: list who may link people to Meta users, e.g. `admins: [U0ADMIN01, S0PLATFORM]`; approvers are not admins unless listed, and `accounts.<alias>.admins` adds admins of one account.',
      ]);
      // ADMIN_IDS speaks for a single account; with several, the file must say it.
      expect(problemsOf(TWO, { ...defaults, adminIds: ['UANN', 'SADMINS'] })).toEqual([
        expect.stringMatching(
          /^policy\.yml:1: admins: is needed with several accounts: .*\(ADMIN_IDS applies to a single account only: move UANN, SADMINS here\);/,
        ),
      ]);
      expect(parsePolicy(`admins: [UADMIN, SPLATFORM]\n${TWO}`, 'p.yml', defaults).adminIds).toEqual([
        'UADMIN',
        'SPLATFORM',
      ]);
    });

    it('reads per-account admins, users and user groups, checked like approvers', () => {
      const policy = parsePolicy(
        `admins: [UADMIN]\n${TWO.replace('approvers: [UCARA]', 'approvers: [UCARA]\n    admins: [UDAN, SSALESOPS]')}`,
        'p.yml',
        defaults,
      );
      expect(policy.adminIds).toEqual(['UADMIN']);
      expect(policy.accounts[0]).not.toHaveProperty('adminIds');
      expect(policy.accounts[1]!.adminIds).toEqual(['UDAN', 'SSALESOPS']);
      expect(problemsOf(`admins: [UADMIN]\n${TWO}    admins: [dan]\n`)).toEqual([
        'policy.yml:12: accounts.sales.admins[0]: "dan" is not a Slack user id (U…/W…) or user-group id (S…).',
      ]);
      expect(problemsOf(`${ONE}    admins: []\n`)).toEqual([
        'policy.yml:6: accounts.support.admins: must list at least one person or user group.',
      ]);
    });

    it('with one account, falls back to ADMIN_IDS, else the account’s own admins, else its approvers', () => {
      expect(parsePolicy(ONE, 'p.yml', defaults).adminIds).toEqual(['UANN', 'UBOB']);
      expect(parsePolicy(ONE, 'p.yml', { ...defaults, adminIds: ['SADMINS'] }).adminIds).toEqual(['SADMINS']);
      const own = parsePolicy(`${ONE}    admins: [UDAN]\n`, 'p.yml', defaults);
      expect(own.adminIds).toEqual([]);
      expect(own.accounts[0]!.adminIds).toEqual(['UDAN']);
    });
  });

  describe('break_glass', () => {
    const withBreakGlass = (settings: string, extra = '') =>
      `${ONE}${extra}    break_glass:\n${settings
        .split('\n')
        .map((line) => `      ${line}`)
        .join('\n')}\n`;

    it('reads who may use it, the tasks and the longest emergency grant; the environment fills the rest', () => {
      const policy = parsePolicy(
        withBreakGlass('users: [UONCALL, S0SRE]\ntasks: [messaging]\nmax_duration: 2h'),
        'policy.yml',
        defaults,
      );
      expect(policy.accounts[0]!.breakGlass).toEqual({
        people: ['UONCALL', 'S0SRE'],
        tasks: ['MESSAGING'],
        maxMs: 2 * 3_600_000,
      });
      const fromEnv = parsePolicy(withBreakGlass('max_duration: 30m'), 'policy.yml', {
        ...defaults,
        breakGlass: { people: ['UENV'], tasks: ['VIEW_COST', 'MESSAGING'] },
      });
      expect(fromEnv.accounts[0]!.breakGlass).toEqual({
        people: ['UENV'],
        tasks: ['VIEW_COST', 'MESSAGING'],
        maxMs: 30 * 60_000,
      });
      // BREAK_GLASS_IDS alone gives every account break-glass, within what each allows.
      const everywhere = parsePolicy(`${ONE}    tasks: [MESSAGING, VIEW_TEMPLATES]\n`, 'policy.yml', {
        ...defaults,
        breakGlass: { people: ['UENV'], tasks: ['MESSAGING', 'FULL_CONTROL'] },
      });
      expect(everywhere.accounts[0]!.breakGlass).toEqual({ people: ['UENV'], tasks: ['MESSAGING'], maxMs: 3_600_000 });
      expect(parsePolicy(ONE, 'policy.yml', defaults).accounts[0]!.breakGlass).toBeUndefined();
    });

    it('names the line of every problem', () => {
      expect(problemsOf(withBreakGlass('tasks: [MESSAGING]'))).toEqual([
        'policy.yml:6: accounts.support.break_glass.users: is missing: list who may use break-glass here (Slack user and user-group ids), or set BREAK_GLASS_IDS.',
      ]);
      expect(problemsOf(withBreakGlass('users: [UONCALL]\ntasks: [MANAGE]', '    tasks: [MESSAGING]\n'))).toEqual([
        'policy.yml:9: accounts.support.break_glass.tasks[0]: MANAGE is not among the tasks the account allows (MESSAGING).',
      ]);
      expect(problemsOf(withBreakGlass('users: [UONCALL]\nmax_duration: 2d', '    max_duration: 1d\n'))).toEqual([
        "policy.yml:9: accounts.support.break_glass.max_duration: 2d is longer than the account's longest grant (1d).",
      ]);
      expect(problemsOf(withBreakGlass('users: [oncall]\nwho: [UX]'))).toEqual([
        'policy.yml:7: accounts.support.break_glass.users[0]: "oncall" is not a Slack user id (U…/W…) or user-group id (S…).',
        "policy.yml:8: accounts.support.break_glass.who: is not a setting here; check the spelling against the README's example.",
      ]);
    });
  });

  it('checks an account’s limits together with the environment’s', () => {
    const withDefault: PolicyDefaults = { ...defaults, durations: { ...defaults.durations, defaultMs: DAY } };
    expect(problemsOf(`${ONE}    max_duration: 4h\n`, withDefault)).toEqual([
      'policy.yml:2: accounts.support: the default grant (1d) is not between 1m and max_duration 4h; set default_duration for this account.',
    ]);
    expect(
      parsePolicy(`${ONE}    max_duration: 4h\n    default_duration: 1h\n`, 'p.yml', withDefault).accounts[0]!
        .durations,
    ).toEqual({ defaultMs: 3_600_000, maxMs: 4 * 3_600_000, minMs: 60_000, allowPermanent: false });
  });

  it('says when the file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    expect(() => readPolicyFile(join(dir, 'missing.yml'), defaults)).toThrow(
      /WABA_CONFIG: cannot read the policy file .*missing\.yml: no such file\./,
    );
    writeFileSync(join(dir, 'policy.yml'), ONE);
    expect(readPolicyFile(join(dir, 'policy.yml'), defaults).accounts).toHaveLength(1);
  });

  it('reports a file whose aliases would expand without bound (billion laughs) as a problem, quickly', () => {
    const started = Date.now();
    const problems = problemsOf(billionLaughs());
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^policy\.yml: .*alias.* \(the YAML cannot be read\)\.$/i);
  });
});
