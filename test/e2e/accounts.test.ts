import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import {
  ALICE,
  ANN,
  BOB,
  CAROL,
  DAVE,
  eventually,
  GROUP,
  Harness,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { SALES_WABA, twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

const SALES_APPROVALS = 'CSALESAPPROVALS';

/** Support (the default, one approval, a few tasks) and sales (two approvals, a reason, listed requesters). */
function policyFile(options: { salesApprovals?: number; supportReason?: boolean; withSales?: boolean } = {}): string {
  const sales = {
    approvers: [BOB, GROUP],
    approval_channel: SALES_APPROVALS,
    approvals: options.salesApprovals ?? 2,
    reason_required: true,
    requesters: { users: [LEAD], channels: ['CSALES'] },
  };
  return twoAccountPolicy({
    admins: [ANN],
    support: {
      approvers: [ANN, BOB, GROUP],
      tasks: ['MANAGE', 'MESSAGING', 'VIEW_TEMPLATES'],
      reason_required: options.supportReason ?? false,
    },
    sales: options.withSales === false ? undefined : sales,
    people: { 'alice@example.test': ALICE },
  });
}

let h: Harness;
let file: string;

async function startWithPolicy(text: string): Promise<void> {
  h = await Harness.startWithPolicy(text, { graph: withSalesWaba() });
  file = String(h.env.WABA_CONFIG);
}

const answer = (text: string, userId = LEAD, channelId = TEAM_CHANNEL) => h.answer(text, userId, channelId);

afterEach(async () => {
  await h?.stop();
});

describe('several accounts from a policy file', () => {
  it('lists the accounts, routes a request by `on`, and carries out a 2-of-2 approval on that account only', async () => {
    await startWithPolicy(policyFile());

    const accounts = await answer('accounts');
    expect(accounts).toContain(`*support* (default) · WABA \`${WABA_ID}\``);
    expect(accounts).toContain(`*sales* · WABA \`${SALES_WABA}\``);
    expect(accounts).toContain('2 approvals needed');
    expect(accounts).toContain(`Who may ask: <#CSALES>, <@${LEAD}>`);
    expect(accounts).toContain('Tasks: MANAGE, VIEW_TEMPLATES, MESSAGING');

    expect(await answer('grant @alice MESSAGING on sales')).toContain('Requests on *sales* need a reason');
    expect(await answer('grant @alice MESSAGING on sales because launch week', STRANGER)).toContain(
      'You can’t ask for access on *sales*',
    );
    expect(await answer(`grant ${DAVE} FULL_CONTROL`)).toContain('FULL_CONTROL can’t be requested on *support*');
    expect(await answer('grant @alice MESSAGING on nope')).toContain('There is no account called `nope`');

    // Alice is found by the email on her Slack profile, through the file's `people:`.
    expect(await answer('grant @alice MESSAGING on sales because launch week')).toContain('Asked for');
    const approval = await eventually(() => h.slack.messagesIn(SALES_APPROVALS)[0]);
    expect(h.approvalMessages()).toEqual([]);
    expect(visibleText(approval)).toContain(`*sales* · \`${SALES_WABA}\``);
    expect(visibleText(approval)).toContain('Needs 2 approvals from different approvers; none yet.');

    const outsider = await h.click(approval, ACTION.approve, ANN);
    expect(visibleText(await eventually(() => h.responses(outsider.responseId)[0]))).toContain(
      `The approvers are <@${BOB}>, <!subteam^${GROUP}>`,
    );
    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => visibleText(h.slack.messagesIn(SALES_APPROVALS)[0]!).includes('1 of 2'));
    expect(h.graph.writes()).toEqual([]);
    await h.click(approval, ACTION.approve, CAROL);

    const done = await eventually(() => {
      const message = h.slack.messagesIn(SALES_APPROVALS)[0]!;
      return visibleText(message).includes('Done:') && message;
    });
    expect(visibleText(done)).toContain(`Approved by <@${BOB}> and <@${CAROL}>`);
    expect(buttonsOf(done)).toEqual([]);
    expect(h.graph.writes()).toHaveLength(1);
    expect(h.graph.tasksOf(SALES_WABA, ALICE)).toEqual(['MESSAGING']);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE']);
    expect(await answer('list on sales')).toContain(`Users on sales (WABA ${SALES_WABA})`);
  });

  it('asks which account in the form, and checks that account’s rules next to the fields', async () => {
    await startWithPolicy(policyFile());
    await h.command('');
    const opened = await eventually(() => h.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { private_metadata: string; blocks: Array<Record<string, unknown>> };
    expect(view.blocks[0]).toMatchObject({
      block_id: 'account',
      element: { initial_option: { value: 'support' }, options: [{ value: 'support' }, { value: 'sales' }] },
    });
    const form = (account: string, tasks: string[], reason?: string) => ({
      account: { account: { type: 'static_select', selected_option: { value: account } } },
      kind: { kind: { type: 'radio_buttons', selected_option: { value: 'grant' } } },
      person: { person: { type: 'users_select', selected_user: null } },
      user: { user: { type: 'plain_text_input', value: DAVE } },
      tasks: { tasks: { type: 'multi_static_select', selected_options: tasks.map((value) => ({ value })) } },
      reason: { reason: { type: 'plain_text_input', value: reason ?? null } },
    });
    const submit = async (values: ReturnType<typeof form>) =>
      (await h.submitView('waba_compose', LEAD, view.private_metadata, values)).json;

    expect(await submit(form('support', ['FULL_CONTROL']))).toEqual({
      response_action: 'errors',
      errors: { tasks: 'FULL_CONTROL can’t be requested on support. Allowed: MANAGE, VIEW_TEMPLATES, MESSAGING.' },
    });
    expect(await submit(form('sales', ['FULL_CONTROL']))).toEqual({
      response_action: 'errors',
      errors: { reason: 'Requests on sales need a reason.' },
    });
    expect(await submit(form('sales', ['MESSAGING'], 'launch week'))).toBeUndefined();
    const approval = await eventually(() => h.slack.messagesIn(SALES_APPROVALS)[0]);
    expect(visibleText(approval)).toContain('launch week');
    expect(h.approvalMessages()).toEqual([]);
  });

  it('reloads the file without dropping requests, and keeps the running policy when the new file is wrong', async () => {
    await startWithPolicy(policyFile({ salesApprovals: 1 }));
    await answer('grant @alice MESSAGING on sales because launch week');
    const pending = await eventually(() => h.slack.messagesIn(SALES_APPROVALS)[0]);

    writeFileSync(file, policyFile({ withSales: false, supportReason: true }));
    expect(h.bot!.reloadPolicy()).toEqual({ kind: 'reloaded', accounts: ['support'] });
    expect(await answer('accounts')).not.toContain('sales');
    expect(await answer(`grant ${DAVE} MESSAGING`)).toContain('Requests on *support* need a reason');
    expect(await answer('list on sales')).toContain('There is no account called `sales`');

    // The request made on sales before the reload still goes through, with sales' approvers.
    await h.click(pending, ACTION.approve, BOB);
    await eventually(() => h.graph.tasksOf(SALES_WABA, ALICE)?.includes('MESSAGING'));

    writeFileSync(file, `${policyFile()}\n  broken: [\n`);
    const refused = h.bot!.reloadPolicy();
    expect(refused).toMatchObject({ kind: 'invalid', problems: [expect.stringMatching(/^\/.*\/policy\.yml:\d+: /)] });
    expect(h.logs.join('')).toContain('policy file not reloaded; the running policy stays');
    expect(await answer(`grant ${DAVE} MESSAGING`)).toContain('need a reason');
  });
});
