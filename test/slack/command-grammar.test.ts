import { describe, expect, it } from 'vitest';
import { nearestTask } from '../../src/access/tasks.js';
import { parseCommand } from '../../src/slack/command-grammar.js';

describe('parseCommand', () => {
  it('opens the form for an empty command', () => {
    expect(parseCommand('   ')).toEqual({ kind: 'compose' });
  });

  it('reads grants with tasks in any case, separated by commas or spaces, de-duplicated in a stable order', () => {
    expect(parseCommand('grant 123 messaging,MANAGE  view-templates messaging')).toEqual({
      kind: 'grant',
      user: { kind: 'meta', id: '123' },
      tasks: ['MANAGE', 'VIEW_TEMPLATES', 'MESSAGING'],
    });
  });

  it.each([
    ['grant 123 MESSAGING because covers support', 'covers support'],
    ['grant 123 MESSAGING reason: on call', 'on call'],
    ['grant 123 MESSAGING -- audit', 'audit'],
    ['grant 123 MESSAGING "on call this week"', 'on call this week'],
  ])('reads the reason in %s', (text, reason) => {
    expect(parseCommand(text)).toMatchObject({ kind: 'grant', tasks: ['MESSAGING'], reason });
  });

  it('reads history of a person or Meta id, and who had access on a day, on an account', () => {
    expect(parseCommand('history <@UALICE|alice> on sales')).toEqual({
      kind: 'history',
      user: { kind: 'slack', slackId: 'UALICE' },
      account: 'sales',
    });
    expect(parseCommand('history 300000000000001')).toEqual({
      kind: 'history',
      user: { kind: 'meta', id: '300000000000001' },
    });
    expect(parseCommand('who 2026-11-01 on sales')).toEqual({
      kind: 'who',
      date: { kind: 'date', day: '2026-11-01' },
      account: 'sales',
    });
    expect(parseCommand('who Yesterday')).toEqual({ kind: 'who', date: { kind: 'days-ago', days: 1 } });
    expect(parseCommand('who today')).toEqual({ kind: 'who', date: { kind: 'days-ago', days: 0 } });
  });

  it.each([
    ['history', 'Whose history?'],
    ['history alice', 'is neither a person'],
    ['history 123 456', 'takes one person'],
    ['who', 'Which day?'],
    ['who 2026-02-30', 'is not a day of the calendar'],
    ['who 01/11/2026', 'is not a date I understand'],
    ['who last week', 'takes one day'],
    ['who today on', 'needs an account after it'],
  ])('says what is wrong with %s', (text, problem) => {
    const parsed = parseCommand(text);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(`${parsed.problem.text} ${parsed.hint.text}`).toContain(problem);
  });

  it('reads `on <account>` wherever it stands before the reason, and leaves "on" in the reason alone', () => {
    expect(parseCommand('grant 123 MESSAGING on Sales for 4h because on call')).toEqual({
      kind: 'grant',
      user: { kind: 'meta', id: '123' },
      tasks: ['MESSAGING'],
      duration: 4 * 3_600_000,
      reason: 'on call',
      account: 'sales',
    });
    expect(parseCommand('grant on support 123 MESSAGING')).toMatchObject({ kind: 'grant', account: 'support' });
    expect(parseCommand('revoke 42 on sales')).toMatchObject({ kind: 'revoke', account: 'sales' });
    expect(parseCommand('list on sales')).toEqual({ kind: 'list', account: 'sales' });
    expect(parseCommand('active on sales')).toEqual({ kind: 'active', account: 'sales' });
    expect(parseCommand('grant 123 MESSAGING because on call')).not.toHaveProperty('account');
  });

  it.each([
    ['grant 123 MESSAGING on', /`on` needs an account/],
    ['list on', /`on` needs an account/],
    ['grant 123 MESSAGING on sales on support', /only once/],
    ['grant 123 MESSAGING on sa$es', /not an account name/],
  ])('explains a misplaced `on` in "%s"', (text, problem) => {
    expect(parseCommand(text)).toMatchObject({ kind: 'invalid', problem: { text: expect.stringMatching(problem) } });
  });

  it('reads revoke, list, accounts and help', () => {
    expect(parseCommand('REVOKE 42 because left')).toEqual({
      kind: 'revoke',
      user: { kind: 'meta', id: '42' },
      reason: 'left',
    });
    expect(parseCommand('list')).toEqual({ kind: 'list' });
    expect(parseCommand('accounts 42')).toEqual({ kind: 'accounts', user: { kind: 'meta', id: '42' } });
    expect(parseCommand('accounts')).toEqual({ kind: 'account-list' });
    expect(parseCommand('help')).toEqual({ kind: 'help' });
  });

  it('reads list filters: a task, a person, or any other text, with or without `on`', () => {
    expect(parseCommand('list messaging')).toEqual({ kind: 'list', filter: { kind: 'task', task: 'MESSAGING' } });
    expect(parseCommand('list MESSAGING on sales')).toEqual({
      kind: 'list',
      account: 'sales',
      filter: { kind: 'task', task: 'MESSAGING' },
    });
    expect(parseCommand('list <@U123|ann>')).toEqual({
      kind: 'list',
      filter: { kind: 'person', person: { kind: 'slack', slackId: 'U123' } },
    });
    expect(parseCommand('list @Ann')).toEqual({
      kind: 'list',
      filter: { kind: 'person', person: { kind: 'handle', name: 'ann' } },
    });
    expect(parseCommand('list Alice Example on sales')).toEqual({
      kind: 'list',
      account: 'sales',
      filter: { kind: 'text', text: 'Alice Example' },
    });
    expect(parseCommand('list 3000')).toEqual({ kind: 'list', filter: { kind: 'text', text: '3000' } });
    // Quotes make a task name (or "on") plain text.
    expect(parseCommand('list "manage"')).toEqual({ kind: 'list', filter: { kind: 'text', text: 'manage' } });
    expect(parseCommand('list "on call"')).toEqual({ kind: 'list', filter: { kind: 'text', text: 'on call' } });
  });

  it('reads status as the accounts list, which carries each account’s budget', () => {
    expect(parseCommand('status')).toEqual({ kind: 'account-list' });
  });

  it('names the nearest task for a typo, and lists every valid task', () => {
    const result = parseCommand('grant 123 MESAGING');
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.problem.text).toContain('Did you mean `MESSAGING`?');
    expect(result.hint.text).toContain('FULL_CONTROL');
  });

  it.each([
    ['grant', /user id and tasks are missing/],
    ['grant 123', /Which tasks/],
    ['grant alice MESSAGING', /neither a person \(`@name`\) nor a Meta user id/],
    ['link <@U123|alice>', /give their Meta business-user id/],
    ['link 123 456', /Mention the person first/],
    ['link <@U123> 45 67', /takes a person and one Meta user id/],
    ['unlink', /Mention one person/],
    ['grant 123 MESSAGING because', /reason after `because` is empty/],
    ['revoke', /user id is missing/],
    ['revoke 123 MESSAGING', /takes no task names/],
    ['accounts 1 2', /takes one user id/],
    ['list ""', /text to look for is empty/],
    [`list ${'x'.repeat(101)}`, /longer than 100 characters/],
    ['status now', /takes no arguments/],
    ['dance', /don't know the command `dance`/],
  ])('explains what is wrong with "%s"', (text, problem) => {
    const result = parseCommand(text);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') {
      expect(result.problem.text).toMatch(problem);
      expect(result.hint.length).toBeGreaterThan(5);
    }
  });

  it('does not echo back long or code-breaking input', () => {
    const result = parseCommand(`dance${'x'.repeat(500)}\`injected\``);
    expect(result.kind === 'invalid' && result.problem.length).toBeLessThan(120);
    expect(result.kind === 'invalid' && result.problem.text).not.toContain('`injected`');
  });
});

describe('nearestTask', () => {
  it('suggests only close matches', () => {
    expect(nearestTask('manage_template')).toBe('MANAGE_TEMPLATES');
    expect(nearestTask('full-control')).toBe('FULL_CONTROL');
    expect(nearestTask('banana')).toBeUndefined();
  });
});

describe('durations', () => {
  it('reads `for <duration>` anywhere among the tasks, and `for permanent`', () => {
    expect(parseCommand('grant 123 MESSAGING for 4h because on call')).toEqual({
      kind: 'grant',
      user: { kind: 'meta', id: '123' },
      tasks: ['MESSAGING'],
      duration: 14_400_000,
      reason: 'on call',
    });
    expect(parseCommand('grant 123 for 30m manage')).toMatchObject({ tasks: ['MANAGE'], duration: 1_800_000 });
    expect(parseCommand('grant 123 MANAGE for permanent')).toMatchObject({ duration: 'permanent' });
    expect(parseCommand('grant 123 MANAGE')).not.toHaveProperty('duration');
  });

  it.each([
    ['grant 123 MANAGE for', /needs a duration/],
    ['grant 123 MANAGE for a while', /`a` is not a duration/],
    ['grant 123 MANAGE for 1h for 2h', /only once/],
  ])('explains a bad duration in "%s"', (text, problem) => {
    const result = parseCommand(text);
    expect(result.kind === 'invalid' && result.problem.text).toMatch(problem);
  });

  it('reads `emergency` among the tasks as break-glass, never in the reason', () => {
    expect(parseCommand('grant <@UZOE> MESSAGING for 30m Emergency on support because outage')).toEqual({
      kind: 'grant',
      user: { kind: 'slack', slackId: 'UZOE' },
      tasks: ['MESSAGING'],
      duration: 30 * 60_000,
      reason: 'outage',
      account: 'support',
      emergency: true,
    });
    expect(parseCommand('grant 123 emergency,messaging')).toMatchObject({ tasks: ['MESSAGING'], emergency: true });
    expect(parseCommand('grant 123 MESSAGING because emergency')).not.toHaveProperty('emergency');
    expect(parseCommand('grant 123 emergency because outage')).toMatchObject({
      kind: 'invalid',
      problem: { text: 'Which tasks? Name at least one.' },
    });
  });

  it('reads `active`', () => {
    expect(parseCommand('active')).toEqual({ kind: 'active' });
  });
});

describe('audit', () => {
  it('reads `audit` with `on <account>` and `since <duration>`, in either order', () => {
    expect(parseCommand('audit')).toEqual({ kind: 'audit' });
    expect(parseCommand('AUDIT on Sales')).toEqual({ kind: 'audit', account: 'sales' });
    expect(parseCommand('audit since 30d')).toEqual({ kind: 'audit', sinceMs: 30 * 86_400_000 });
    expect(parseCommand('audit since 2w on support')).toEqual({
      kind: 'audit',
      account: 'support',
      sinceMs: 14 * 86_400_000,
    });
    expect(parseCommand('audit on support SINCE 12h')).toEqual({
      kind: 'audit',
      account: 'support',
      sinceMs: 12 * 3_600_000,
    });
  });

  it('says what is wrong with anything else, with the usage', () => {
    const said = (text: string) => {
      const command = parseCommand(text);
      return command.kind === 'invalid' ? `${command.problem.text} ${command.hint.text}` : command.kind;
    };
    expect(said('audit since')).toMatch(/`since` needs a duration after it\..*since 30d/);
    expect(said('audit since forever')).toMatch(/`forever` is not a duration\./);
    expect(said('audit all of it')).toMatch(
      /`audit` takes `on <account>` and `since <duration>`, nothing else\. \/waba audit \[on &lt;account&gt;\]/,
    );
    expect(said('audit since 1d since 2d')).toMatch(/nothing else/);
    expect(said('audit on')).toMatch(/`on` needs an account after it\. \/waba audit/);
  });
});

describe('people in commands', () => {
  it('reads escaped mentions (whatever their display name), @names and Meta ids', () => {
    expect(parseCommand('grant <@U123|Alice B. Example> MESSAGING')).toMatchObject({
      kind: 'grant',
      user: { kind: 'slack', slackId: 'U123' },
      tasks: ['MESSAGING'],
    });
    expect(parseCommand('revoke @Alice.B because left')).toEqual({
      kind: 'revoke',
      user: { kind: 'handle', name: 'alice.b' },
      reason: 'left',
    });
    expect(parseCommand('accounts <@W42>')).toEqual({ kind: 'accounts', user: { kind: 'slack', slackId: 'W42' } });
  });

  it('reads link and unlink', () => {
    expect(parseCommand('link <@U123|alice> 300000000000001')).toEqual({
      kind: 'link',
      person: { kind: 'slack', slackId: 'U123' },
      metaUserId: '300000000000001',
    });
    expect(parseCommand('unlink @alice')).toEqual({ kind: 'unlink', person: { kind: 'handle', name: 'alice' } });
  });
});
