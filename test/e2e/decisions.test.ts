import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ANN,
  BOB,
  CAROL,
  DAVE,
  eventually,
  Harness,
  isRefusal,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** The Graph writes once every decision under way has finished (so a late second write would show). */
async function settledWrites() {
  await h.bot!.service.drain();
  return h.graph.writes();
}

async function requestAndGetApproval(text: string, requester = LEAD) {
  await h.command(text, requester);
  const [approval] = await eventually(() => h.approvalMessages().length > 0 && h.approvalMessages());
  return approval!;
}

describe('decisions', () => {
  it('revokes all access after approval, and says so in the request', async () => {
    h = await Harness.start();
    const approval = await requestAndGetApproval(`revoke ${ALICE} because left the team`);
    expect(visibleText(approval)).toContain('Removes the user from the account, with all their tasks');
    expect(visibleText(approval)).toMatch(/`MANAGE` → _no access_/);
    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.writes()[0]).toMatchObject({ method: 'DELETE', query: expect.objectContaining({ user: ALICE }) });
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toBeUndefined();
    const updated = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    expect(visibleText(updated)).toContain('no longer has access');
    expect(await settledWrites()).toHaveLength(1);
  });

  it('denies with a reason from the modal, without touching Graph', async () => {
    h = await Harness.start();
    const approval = await requestAndGetApproval(`grant ${ALICE} MESSAGING`);
    await h.click(approval, ACTION.deny, BOB);
    const opened = await eventually(() => h.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.deny);

    const submit = await h.submitView(VIEW.deny, BOB, view.private_metadata, {
      reason: { reason: { type: 'plain_text_input', value: 'Use the shared inbox instead' } },
    });
    expect(submit.status).toBe(200);
    const updated = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    expect(visibleText(updated)).toContain(`Denied by <@${BOB}>`);
    expect(visibleText(updated)).toContain('Use the shared inbox instead');
    expect(buttonsOf(updated)).toEqual([]);
    const dm = await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`)[0]);
    expect(visibleText(dm)).toContain('Use the shared inbox instead');
    expect(h.graph.writes()).toEqual([]);
  });

  it('refuses self-approval, even by an approver, and clicks by strangers; nothing changes', async () => {
    h = await Harness.start();
    const approval = await requestAndGetApproval(`grant ${ALICE} MESSAGING`, ANN);

    const own = await h.click(approval, ACTION.approve, ANN);
    const ownReply = await eventually(() => h.responses(own.responseId)[0]);
    expect(ownReply).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(visibleText(ownReply)).toContain('someone else has to decide it');

    const stranger = await h.click(approval, ACTION.approve, STRANGER);
    expect(visibleText(await eventually(() => h.responses(stranger.responseId)[0]))).toContain('Only approvers');

    // Deny opens its form at once (the click's trigger_id lives 3 s); the form then says why not, with only Close.
    const strangerDeny = await h.clickForm(approval, ACTION.deny, STRANGER);
    expect(visibleText(strangerDeny.view)).toContain('Only approvers');
    expect(strangerDeny.view).toMatchObject({ close: { text: 'Close' } });
    expect(h.views().filter((view) => !isRefusal(view))).toEqual([]);
    expect(h.responses(strangerDeny.responseId)).toEqual([]);

    expect(h.graph.writes()).toEqual([]);
    expect(h.approvalMessages()[0]!.updates).toBe(0);
    const request = await h.bot!.service.get(
      String(approval.blocks.find((b) => b.type === 'actions')?.block_id).split(':')[1]!,
    );
    expect(request?.state).toBe('pending');
  });

  it('lets a member of an approver user group decide', async () => {
    h = await Harness.start();
    const approval = await requestAndGetApproval(`grant ${DAVE} MESSAGING`);
    await h.click(approval, ACTION.approve, CAROL);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE)?.join() === 'MESSAGING');
    expect(await settledWrites()).toMatchObject([{ method: 'POST', form: { user: DAVE } }]);
  });

  it('answers a click on a decided request with who decided, and changes nothing', async () => {
    h = await Harness.start();
    const approval = await requestAndGetApproval(`grant ${ALICE} MESSAGING`);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => h.approvalMessages()[0]!.updates > 0);
    const late = await h.clickForm(approval, ACTION.deny, BOB);
    expect(visibleText(late.view)).toContain('no longer waiting');
    expect(visibleText(late.view)).toContain(`Approved by <@${ANN}>`);
    const lateApprove = await h.click(approval, ACTION.approve, BOB);
    expect(visibleText(await eventually(() => h.responses(lateApprove.responseId)[0]))).toContain('no longer waiting');
    expect(await settledWrites()).toHaveLength(1);
  });

  it('DMs every approver but the requester when there is no approval channel, and updates every DM', async () => {
    h = await Harness.start({ env: { APPROVAL_CHANNEL_ID: undefined } });
    await h.command(`grant ${ALICE} MESSAGING`, BOB);
    const dms = await eventually(() => {
      const found = [ANN, CAROL].map((id) => h.slack.messagesIn(`D${id.slice(1)}`)[0]);
      return found.every(Boolean) && found;
    });
    expect(h.slack.messagesIn(`D${BOB.slice(1)}`).filter((m) => buttonsOf(m).length > 0)).toEqual([]);
    await h.click(dms[0]!, ACTION.approve, ANN);
    await eventually(() => dms.every((dm) => h.slack.messages.get(`${dm!.channel}:${dm!.ts}`)!.updates > 0));
    expect(await settledWrites()).toHaveLength(1);
  });
});

describe('commands', () => {
  it('answers help and malformed commands in the ack, storing nothing', async () => {
    h = await Harness.start();
    const help = await h.command('help');
    expect(help.json?.response_type).toBe('ephemeral');
    expect(visibleText(help.json as object)).toContain('/waba grant &lt;@person|meta-user-id&gt;');

    const bad = await h.command('grant alice MESAGING');
    expect(visibleText(bad.json as object)).toContain('is neither a person (`@name`) nor a Meta user id');
    const typo = await h.command(`grant ${ALICE} MESAGING`);
    expect(visibleText(typo.json as object)).toContain('Did you mean `MESSAGING`?');
    const unknown = await h.command('frobnicate');
    expect(visibleText(unknown.json as object)).toContain('/waba help');

    expect(h.approvalMessages()).toEqual([]);
    expect(await h.bot!.store.repository.openIds()).toEqual([]);
  });

  it('lists the roster and a user’s accounts without approval', async () => {
    h = await Harness.start();
    const list = await h.command('list');
    const roster = await eventually(() => h.responses(list.responseId)[0]);
    expect(visibleText(roster)).toContain('Alice Example');
    expect(visibleText(roster)).toContain('`MANAGE`');

    const accounts = await h.command(`accounts ${ALICE}`);
    const reply = await eventually(() => h.responses(accounts.responseId)[0]);
    expect(visibleText(reply)).toContain('Support line');
    expect(h.graph.writes()).toEqual([]);
  });

  it('rejects a grant that changes nothing and a revoke of someone without access', async () => {
    h = await Harness.start();
    const same = await h.command(`grant ${ALICE} manage`);
    expect(visibleText(await eventually(() => h.responses(same.responseId)[0]))).toContain('already has MANAGE');
    const none = await h.command(`revoke ${DAVE}`);
    expect(visibleText(await eventually(() => h.responses(none.responseId)[0]))).toContain('nothing to revoke');
    expect(h.approvalMessages()).toEqual([]);
  });

  it('opens a form for /waba alone, checks it, and files the request', async () => {
    h = await Harness.start();
    await h.command('');
    const opened = await eventually(() => h.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.compose);

    const values = (user: string, tasks: string[]) => ({
      kind: { kind: { type: 'radio_buttons', selected_option: { value: 'grant' } } },
      user: { user: { type: 'plain_text_input', value: user } },
      tasks: { tasks: { type: 'multi_static_select', selected_options: tasks.map((value) => ({ value })) } },
      reason: { reason: { type: 'plain_text_input', value: 'on call' } },
    });
    const invalid = await h.submitView(VIEW.compose, LEAD, view.private_metadata, values('alice', []));
    expect(invalid.json).toEqual({
      response_action: 'errors',
      errors: { user: expect.stringContaining('digits only'), tasks: expect.stringContaining('at least one task') },
    });
    expect(h.approvalMessages()).toEqual([]);

    await h.submitView(VIEW.compose, LEAD, view.private_metadata, values(ALICE, ['MESSAGING']));
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    expect(visibleText(approval!)).toContain('on call');
    const told = await eventually(() => h.slack.callsOf('chat.postEphemeral')[0]);
    expect(told.args).toMatchObject({ channel: TEAM_CHANNEL, user: LEAD });
  });

  it('cancels the request and says so when the approval message cannot be posted', async () => {
    h = await Harness.start();
    h.slack.closedChannels.add('CAPPROVALS');
    const reply = await h.command(`grant ${ALICE} MESSAGING`);
    expect(visibleText(await eventually(() => h.responses(reply.responseId)[0]))).toContain(
      'could not post the approval request',
    );
    expect(await h.bot!.store.repository.openIds()).toEqual([]);
  });
});
