import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
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
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const ask = (text: string, userId = LEAD) => h.answer(text, userId);

async function approvalFor(text: string, requester = LEAD) {
  const before = h.approvalMessages().length;
  const reply = await ask(text, requester);
  expect(reply).toContain('sent it in');
  return eventually(() => h.approvalMessages().length > before && h.approvalMessages().at(-1));
}

async function clickReply(message: Parameters<Harness['click']>[0], actionId: string, userId: string) {
  const click = await h.click(message, actionId, userId);
  return visibleText(await eventually(() => h.responses(click.responseId)[0]));
}

/** The refusal a button that opens a form shows in that form (it opens before the check). */
async function formRefusal(message: Parameters<Harness['click']>[0], actionId: string, userId: string) {
  const click = await h.clickForm(message, actionId, userId);
  expect(h.responses(click.responseId)).toEqual([]);
  return visibleText(click.view);
}

describe('separation of duties', () => {
  it('keeps an approver linked to the request’s Meta user from deciding it, by id or by mention', async () => {
    h = await Harness.start();
    // Filed before anyone is linked to DAVE; the link made afterwards still counts when Bob clicks.
    const byId = await approvalFor(`grant ${DAVE} MESSAGING because on call`);
    expect(await ask(`link <@${BOB}> ${DAVE}`, ANN)).toContain(`is now Meta business user \`${DAVE}\``);
    expect(await clickReply(byId, ACTION.approve, BOB)).toContain('This access is for you');
    expect(await formRefusal(byId, ACTION.deny, BOB)).toContain('This access is for you');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toHaveLength(0);
    expect(buttonsOf(h.approvalMessages().at(-1)!)).toEqual([ACTION.approve, ACTION.deny]);

    await h.click(byId, ACTION.approve, ANN);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);

    const byMention = await approvalFor(`grant <@${BOB}> VIEW_COST because reports`);
    expect(await clickReply(byMention, ACTION.approve, BOB)).toContain('This access is for you');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toHaveLength(1);
  });

  it('counts one human once: an approval from a Meta user re-linked to another Slack id is not counted again', async () => {
    h = await Harness.start({ env: { APPROVALS_REQUIRED: '2' } });
    await ask(`link <@${ANN}> ${DAVE}`, BOB);
    const approval = await approvalFor(`grant ${ALICE} MESSAGING because on call`);
    expect(await clickReply(approval, ACTION.approve, ANN)).toContain('Your approval is recorded');

    // The admin moves Meta user DAVE to Carol (a group approver); Carol is the same human as far as Meta knows.
    await ask(`link <@${CAROL}> ${DAVE}`, BOB);
    expect(await clickReply(approval, ACTION.approve, CAROL)).toContain('one person counts once');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toHaveLength(0);

    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => h.graph.writes().length === 1);
  });

  it('refuses at once a request that only its requester or the person it is for could approve', async () => {
    h = await Harness.start({ env: { APPROVER_IDS: `${ANN},${BOB}`, APPROVALS_REQUIRED: '2' } });
    await ask(`link <@${BOB}> ${DAVE}`, ANN);
    const reply = await ask(`grant <@${BOB}> MESSAGING because on call`, ANN);
    expect(reply).toContain('only 0 approver(s) other than you and the person it is for');
    expect(h.approvalMessages()).toEqual([]);
  });

  it('lets the person who holds a temporary grant ask for more time, never approve it, and still Revoke now', async () => {
    h = await Harness.start();
    await ask(`link <@${BOB}> ${DAVE}`, ANN);
    const approval = await approvalFor(`grant ${DAVE} MESSAGING for 1h because on call`);
    await h.click(approval, ACTION.approve, ANN);
    const granted = await eventually(
      () => buttonsOf(h.approvalMessages().at(-1)!).includes(ACTION.extend) && h.approvalMessages().at(-1),
    );
    const [grant] = await h.bot!.service.activeGrants();
    // Asking only files a request: the form opens for the holder, and another approver decides.
    const opened = await h.clickForm(granted, ACTION.extend, BOB, (view) => visibleText(view).includes('Now ends'));
    expect(isRefusal(opened.view)).toBe(false);
    await h.submitView(VIEW.extend, BOB, grant!.id, {
      duration: { duration: { type: 'plain_text_input', value: '2h' } },
    });
    const extension = await eventually(() => h.approvalMessages().find((m) => visibleText(m).includes('more of')));
    expect(visibleText(extension)).toContain(`*Requested by*\n<@${BOB}>`);
    expect(await clickReply(extension, ACTION.approve, BOB)).toContain('You made this request');
    await h.bot!.service.drain();
    expect((await h.bot!.service.liveGrant(grant!.id))?.endsAt).toBe(grant!.endsAt);

    await h.click(granted, ACTION.revokeNow, BOB);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE) === undefined);
  });

  it('keeps the Slack person a grant is for from approving its extension, also once their link is gone', async () => {
    h = await Harness.start();
    await ask(`link <@${BOB}> ${DAVE}`, ANN);
    const approval = await approvalFor(`grant <@${BOB}> MESSAGING for 1h because on call`);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => buttonsOf(h.approvalMessages().at(-1)!).includes(ACTION.extend));
    const [grant] = await h.bot!.service.activeGrants();
    expect(await ask(`unlink <@${BOB}>`, ANN)).toContain('Unlinked');

    await h.submitView(VIEW.extend, ANN, grant!.id, {
      duration: { duration: { type: 'plain_text_input', value: '4h' } },
    });
    const extension = await eventually(() => h.approvalMessages().find((m) => visibleText(m).includes('more of')));
    expect(await clickReply(extension, ACTION.approve, BOB)).toContain('This access is for you');
    await h.bot!.service.drain();
    expect((await h.bot!.service.liveGrant(grant!.id))?.endsAt).toBe(grant!.endsAt);
  });

  it('sets aside an earlier approval once its approver turns out to be the person the request is for', async () => {
    h = await Harness.start({ env: { APPROVALS_REQUIRED: '2' } });
    const approval = await approvalFor(`grant ${DAVE} MESSAGING because on call`);
    expect(await clickReply(approval, ACTION.approve, ANN)).toContain('Your approval is recorded');
    await ask(`link <@${ANN}> ${DAVE}`, BOB);

    // Carol's approval would have been the second; Ann's no longer counts, so one more is needed.
    expect(await clickReply(approval, ACTION.approve, CAROL)).toContain('Your approval is recorded');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toHaveLength(0);
    const request = await h.bot!.service.get(
      approval.blocks
        .find((b) => b.type === 'actions')
        ?.block_id?.toString()
        .split(':')[1] ?? '',
    );
    expect(request?.decisions.filter((d) => d.setAside).map((d) => d.by)).toEqual([ANN]);
    expect(visibleText(h.approvalMessages()[0]!)).toContain(`1 of 2: approved by <@${CAROL}>`);

    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => h.graph.writes().length === 1);
  });

  it('checks again under the request’s lock: a link made while the click waited for it still refuses', async () => {
    h = await Harness.start();
    const approval = await approvalFor(`grant ${DAVE} MESSAGING because on call`);
    // The request's lock is slow to come (another click, a Redis round trip, a replica holding it).
    const locker = h.bot!.store.locker;
    const withLock = locker.withLock.bind(locker);
    let slowed = false;
    locker.withLock = (async (key: string, ...rest: unknown[]) => {
      if (!slowed && key.startsWith('request:')) {
        slowed = true;
        await sleep(1_000);
      }
      return (withLock as (...args: unknown[]) => Promise<unknown>)(key, ...rest);
    }) as typeof locker.withLock;
    const click = h.click(approval, ACTION.approve, BOB);
    await sleep(200);
    expect(await ask(`link <@${BOB}> ${DAVE}`, ANN)).toContain(`is now Meta business user \`${DAVE}\``);
    const { responseId } = await click;
    expect(visibleText(await eventually(() => h.responses(responseId)[0]))).toContain('This access is for you');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toEqual([]);
  });

  it('leaves requests about a person out of their own list of requests to decide', async () => {
    h = await Harness.start();
    await ask(`link <@${BOB}> ${DAVE}`, ANN);
    await approvalFor(`grant ${DAVE} MESSAGING because on call`);
    await approvalFor(`grant ${ALICE} VIEW_COST because reports`);
    const bobs = await ask('requests', BOB);
    expect(bobs).toContain(ALICE);
    expect(bobs).not.toContain(DAVE);
    expect(await ask('requests', ANN)).toContain(DAVE);
  });
});

describe('decisions rest on fresh reads', () => {
  it('revokes someone added in Business Manager after the roster was read', async () => {
    h = await Harness.start();
    expect(await ask('list')).not.toContain(DAVE);
    h.graph.assign(WABA_ID, DAVE, ['MESSAGING']);
    const approval = await approvalFor(`revoke ${DAVE} because left`);
    expect(visibleText(approval)).toMatch(/`MESSAGING` → _no access_/);
  });

  it('refuses "already has" and "no access" only on what Meta says now', async () => {
    h = await Harness.start();
    expect(await ask(`grant ${ALICE} MANAGE`)).toContain('already has MANAGE');
    expect(await ask(`revoke ${DAVE} because left`)).toContain('has no access');
    h.graph.assign(WABA_ID, ALICE, ['MESSAGING']);
    expect(await ask(`grant ${ALICE} MANAGE because back`)).toContain('sent it in');
  });

  it('files without paging the roster when the person’s edge cannot say, and pages it only before the write', async () => {
    h = await Harness.start();
    const onUsersEdge = (call: { path: string }) => call.path.endsWith('/assigned_whatsapp_business_accounts');
    const noPermissions = { status: 200, body: { data: [{ id: WABA_ID, name: 'Support line' }] }, match: onUsersEdge };
    h.graph.queueFault(noPermissions);
    const from = h.graph.calls.length;
    const approval = await approvalFor(`grant ${ALICE} MESSAGING because on call`);
    expect(h.graph.calls.slice(from).map((call) => call.path.split('/').pop())).toEqual([
      'assigned_whatsapp_business_accounts',
    ]);
    expect(visibleText(approval)).toContain('unknown (Meta:');

    h.graph.queueFault(noPermissions);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    expect(h.logs.filter((line) => line.includes('reading access from the roster instead'))).toHaveLength(1);
  });

  it('files a request while Meta is failing, says current access is unknown, and reads again before writing', async () => {
    h = await Harness.start();
    const onUsersEdge = (call: { path: string }) => call.path.endsWith('/assigned_whatsapp_business_accounts');
    h.graph.queueFault(...Array.from({ length: 6 }, () => ({ status: 500, match: onUsersEdge })));
    const approval = await approvalFor(`grant ${ALICE} MESSAGING because on call`);
    expect(visibleText(approval)).toContain('unknown (Meta:');
    expect(visibleText(approval)).not.toMatch(/\d{4}-\d{2}-\d{2}T/);

    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'VIEW_COST']);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => h.graph.writes().length === 1);
    // The write adds to what Meta said at approval time, not to a guess made at filing.
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);
  });

  it('files a request while Meta throttles the read, and shows every time as Slack’s date, never ISO', async () => {
    h = await Harness.start();
    const onUsersEdge = (call: { path: string }) => call.path.endsWith('/assigned_whatsapp_business_accounts');
    const iso = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
    // Meta's throttle as it comes (HTTP 400, code 80008), each retry throttled again until the client gives up.
    const throttle = { status: 400, body: graphError(80008, 'Too many calls to this WhatsApp Business account.') };
    h.graph.queueFault(...Array.from({ length: 4 }, () => ({ ...throttle, match: onUsersEdge })));
    const reply = await ask(`grant ${ALICE} MESSAGING because on call`);
    expect(reply).toContain('sent it in');
    expect(reply).not.toMatch(iso);
    const approval = await eventually(() => h.approvalMessages()[0]);
    expect(visibleText(approval)).toContain('unknown (Meta: Too many calls to this WhatsApp Business account.)');
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);

    // A throttle that asks for an hour: the request is filed all the same; approved while Meta still holds calls,
    // it fails saying when to try again, in the reader's time zone.
    h.graph.queueFault({ ...throttle, headers: { 'retry-after': '3600' }, match: onUsersEdge });
    const held = await approvalFor(`grant ${DAVE} MESSAGING because on call`);
    expect(visibleText(held)).toContain('unknown (Meta:');
    await h.click(held, ACTION.approve, ANN);
    const failed = await eventually(() => {
      const now = h.slack.messages.get(`${held.channel}:${held.ts}`)!;
      return buttonsOf(now).includes(ACTION.retry) && now;
    });
    expect(visibleText(failed)).toMatch(/Meta’s rate limit is reached; .* after <!date\^\d+\^/);
    expect(h.graph.writes()).toHaveLength(1);
    const shown = [
      ...h.slack.messagesIn(TEAM_CHANNEL),
      ...h.slack.messagesIn(`D${LEAD.slice(1)}`),
      ...h.approvalMessages(),
      ...h.slack.responses.map((response) => response.body),
    ].map((message) => visibleText(message));
    expect(shown.filter((text) => iso.test(text))).toEqual([]);
  });
});
