import { describe, expect, it } from 'vitest';
import { type AccountPolicy, Accounts, accountPolicy, NO_PEOPLE } from '../../src/access/accounts.js';
import { byField, checkDraft, type Draft, grantLength } from '../../src/access/rules.js';
import { GraphClient } from '../../src/graph/client.js';

const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't' });
const groups: Record<string, string[]> = { SLEADS: ['ULEAD'] };
const groupMembers = async (id: string) => groups[id];
const HOUR = 3_600_000;

const strict = accountPolicy({
  alias: 'support',
  wabaId: '1',
  businessId: '9',
  approverIds: ['UANN'],
  tasks: ['MESSAGING', 'VIEW_TEMPLATES'],
  reasonRequired: true,
  requesters: { people: ['UCARA', 'SLEADS'], channelIds: ['CSUPPORT'] },
  durations: { maxMs: 8 * HOUR, minMs: 60_000, allowPermanent: false, defaultMs: HOUR },
});
const open = accountPolicy({ alias: 'sales', wabaId: '2', businessId: '9', approverIds: ['UBOB'] });
const accounts = new Accounts(
  { accounts: [strict, open] as AccountPolicy[], defaultAlias: 'support', adminIds: [], people: NO_PEOPLE },
  { graph, groupMembers },
);

const draft = (overrides: Partial<Draft> = {}): Draft => ({
  kind: 'grant',
  tasks: ['MESSAGING'],
  reason: 'covering the queue',
  requesterId: 'UCARA',
  channelId: 'CTEAM',
  ...overrides,
});

describe('checkDraft', () => {
  it('allows a draft that keeps every rule, with the account and the grant’s length', async () => {
    const allowed = await checkDraft(accounts, undefined, draft());
    expect(allowed).toMatchObject({ kind: 'allowed', durationMs: HOUR });
    expect(allowed.kind === 'allowed' && allowed.account.policy).toBe(strict);
  });

  it('lets listed people, members of listed groups, and anyone in a listed channel ask', async () => {
    expect((await checkDraft(accounts, 'support', draft({ requesterId: 'ULEAD' }))).kind).toBe('allowed');
    expect(
      (await checkDraft(accounts, 'support', draft({ requesterId: 'USTRANGER', channelId: 'CSUPPORT' }))).kind,
    ).toBe('allowed');
  });

  it('names an unknown account with the aliases there are, and checks nothing else', async () => {
    expect(await checkDraft(accounts, 'nope', draft({ tasks: [] }))).toEqual({
      kind: 'problems',
      problems: [
        { field: 'account', problem: { kind: 'unknown-account', alias: 'nope', aliases: ['support', 'sales'] } },
      ],
    });
  });

  it('returns every broken rule keyed by field, who may ask first', async () => {
    const result = await checkDraft(
      accounts,
      'support',
      draft({ requesterId: 'USTRANGER', tasks: ['MESSAGING', 'FULL_CONTROL'], reason: '  ', duration: 'permanent' }),
    );
    expect(result).toEqual({
      kind: 'problems',
      problems: [
        { field: 'requester', problem: { kind: 'not-a-requester', account: 'support' } },
        {
          field: 'tasks',
          problem: {
            kind: 'not-requestable',
            account: 'support',
            tasks: ['FULL_CONTROL'],
            allowed: ['MESSAGING', 'VIEW_TEMPLATES'],
          },
        },
        { field: 'reason', problem: { kind: 'reason-required', account: 'support' } },
        { field: 'duration', problem: { kind: 'permanent-off', maxMs: 8 * HOUR } },
      ],
    });
  });

  it('skips who may ask when told to (the form asks nobody before its ack)', async () => {
    expect(
      (await checkDraft(accounts, 'support', draft({ requesterId: 'USTRANGER' }), { requester: false })).kind,
    ).toBe('allowed');
  });

  it('wants tasks on a grant and none on a revoke; a revoke’s tasks are not checked against the account', async () => {
    const grant = await checkDraft(accounts, 'sales', draft({ tasks: [] }));
    expect(grant.kind === 'problems' && grant.problems).toEqual([{ field: 'tasks', problem: { kind: 'no-tasks' } }]);
    const revoke = await checkDraft(accounts, 'support', draft({ kind: 'revoke', tasks: ['FULL_CONTROL'] }));
    expect(revoke.kind === 'problems' && byField(revoke.problems).get('tasks')?.problem).toEqual({
      kind: 'tasks-on-revoke',
    });
    expect((await checkDraft(accounts, 'support', draft({ kind: 'revoke', tasks: [] }))).kind).toBe('allowed');
  });
});

describe('grantLength', () => {
  const durations = { maxMs: 7 * 24 * HOUR, minMs: 5 * 60_000, allowPermanent: true };

  it('keeps a grant within bounds, and leaves one without a length permanent when that is allowed', () => {
    expect(grantLength(4 * HOUR, durations)).toEqual({ durationMs: 4 * HOUR });
    expect(grantLength(undefined, durations)).toEqual({});
    expect(grantLength('permanent', durations)).toEqual({});
  });

  it('refuses grants too long, too short, or permanent where that is switched off', () => {
    expect(grantLength(8 * 24 * HOUR, durations)).toEqual({
      field: 'duration',
      problem: { kind: 'too-long', askedMs: 8 * 24 * HOUR, maxMs: 7 * 24 * HOUR },
    });
    expect(grantLength(60_000, durations)).toEqual({
      field: 'duration',
      problem: { kind: 'too-short', askedMs: 60_000, minMs: 5 * 60_000 },
    });
    expect(grantLength('permanent', { ...durations, allowPermanent: false })).toMatchObject({
      problem: { kind: 'permanent-off' },
    });
  });
});
