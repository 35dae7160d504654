import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import { ALICE, ANN, BOB, eventually, Harness, LEAD, STRANGER, TEAM_CHANNEL, WABA_ID } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

async function approvedGrant(text: string): Promise<SlackMessage> {
  const before = h.approvalMessages().length;
  await h.command(text);
  const approval = await eventually(() => h.approvalMessages()[before]);
  await h.click(approval, ACTION.approve, ANN);
  return eventually(() => {
    const message = h.slack.messages.get(`${approval.channel}:${approval.ts}`)!;
    return message.updates > 0 && message;
  });
}

const current = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;

describe('temporary access, end to end', () => {
  it('ends on time and puts back the tasks the user had, telling the channel and the requester', async () => {
    h = await Harness.start({ env: { MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 100 });
    await h.command(`grant ${ALICE} MESSAGING for 2s`);
    const [pending] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    expect(visibleText(pending!)).toContain('2s from approval, then back to `MANAGE`');

    await h.click(pending!, ACTION.approve, ANN);
    const granted = await eventually(() => current(pending!).updates > 0 && current(pending!));
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    expect(visibleText(granted)).toMatch(/has `MESSAGING` \(now `MANAGE`, `MESSAGING`\) until/);
    expect(buttonsOf(granted)).toEqual([ACTION.extend, ACTION.revokeNow]);

    const active = await h.command('active');
    expect(visibleText(await eventually(() => h.responses(active.responseId)[0]))).toContain(ALICE);

    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE', 6_000);
    expect(h.graph.writes().map((call) => call.form.tasks)).toEqual(['["MANAGE","MESSAGING"]', '["MANAGE"]']);
    const endedText = 'Temporary `MESSAGING` ended';
    const ended = await eventually(() => visibleText(current(pending!)).includes(endedText) && current(pending!));
    expect(visibleText(ended)).toContain('is back to `MANAGE`');
    expect(buttonsOf(ended)).toEqual([]);
    const dm = await eventually(() =>
      h.slack.messagesIn(`D${LEAD.slice(1)}`).find((m) => visibleText(m).includes(endedText)),
    );
    expect(visibleText(dm)).toContain('is back to `MANAGE`');
    expect(h.slack.messagesIn(TEAM_CHANNEL).some((m) => visibleText(m).includes(endedText))).toBe(true);
  });

  it('ends at start a grant whose time ran out while the bot was down', async () => {
    h = await Harness.start({ env: { MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 60_000 });
    await approvedGrant(`grant ${ALICE} MESSAGING for 1s`);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    await h.bot!.stop();
    await sleep(1_200);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    await h.startBot();
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE']);
  });

  it('lets an approver revoke a grant early, and extend one through a new approval', async () => {
    h = await Harness.start();
    const first = await approvedGrant(`grant ${ALICE} MESSAGING for 1h`);
    await h.click(first, ACTION.revokeNow, BOB);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
    await eventually(() => buttonsOf(current(first)).length === 0);
    expect(visibleText(current(first))).toContain(`<@${BOB}>`);

    const second = await approvedGrant(`grant ${ALICE} VIEW_COST for 1h`);
    // The form opens before the grant is read; someone with no part in it then reads why not in it, with only Close.
    const stranger = await h.clickForm(second, ACTION.extend, STRANGER);
    expect(visibleText(stranger.view)).toContain('Only approvers');
    expect(h.responses(stranger.responseId)).toEqual([]);

    // An approver's form is filled in once the grant is read: when it ends now.
    const opened = await h.clickForm(second, ACTION.extend, BOB, (form) => visibleText(form).includes('Now ends'));
    const view = opened.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.extend);
    const bad = await h.submitView(VIEW.extend, BOB, view.private_metadata, {
      duration: { duration: { value: 'soon' } },
    });
    expect(bad.json).toMatchObject({ response_action: 'errors' });
    await h.submitView(VIEW.extend, BOB, view.private_metadata, { duration: { duration: { value: '2h' } } });

    const extension = await eventually(() =>
      h.approvalMessages().find((m) => visibleText(m).includes('extension request')),
    );
    expect(visibleText(extension)).toContain('Extends by 2h');
    const asked = await eventually(() =>
      h.slack.messagesIn(`D${BOB.slice(1)}`).find((m) => visibleText(m).includes('Asked for')),
    );
    expect(visibleText(asked)).toContain('Asked for 2h more of `VIEW_COST`');
    const extensionId =
      extension.blocks
        .find((b) => b.type === 'actions')
        ?.block_id?.toString()
        .split(':')[1] ?? '';
    const leadDms = h.slack.messagesIn(`D${LEAD.slice(1)}`).length;
    const teamPosts = h.slack.messagesIn(TEAM_CHANNEL).length;
    await h.click(extension, ACTION.approve, ANN);
    const grant = await eventually(async () => {
      const live = await h.bot!.service.activeGrants();
      return live[0]?.endsAt !== undefined && live[0];
    });
    await eventually(async () => {
      const [live] = await h.bot!.service.activeGrants();
      return live && new Date(live.endsAt).getTime() - Date.now() > 2.5 * 3_600_000;
    });
    expect(grant.tasks).toEqual(['VIEW_COST']);
    // The channel hears of the extension once; the grant's requester gets a DM with the new end.
    await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`).length > leadDms);
    await eventually(() => h.slack.messagesIn(TEAM_CHANNEL).some((m) => visibleText(m).includes(extensionId)));
    await h.bot!.service.drain();
    expect(h.slack.messagesIn(TEAM_CHANNEL).length - teamPosts).toBe(1);
    expect(visibleText(h.slack.messagesIn(`D${LEAD.slice(1)}`).at(-1)!)).toContain('until');
  });

  it('asks approvers when the user’s access changed meanwhile, and Keep leaves it untouched', async () => {
    h = await Harness.start({ env: { MIN_GRANT_DURATION: '1s' }, sweepIntervalMs: 100 });
    await approvedGrant(`grant ${ALICE} MESSAGING for 1s`);
    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    const question = await eventually(
      () => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.keep)),
      6_000,
    );
    expect(visibleText(question)).toContain('*Found:* `MANAGE`, `VIEW_COST`, `MESSAGING`');
    expect(buttonsOf(question)).toEqual([ACTION.restore, ACTION.keep]);

    const stranger = await h.click(question, ACTION.restore, LEAD);
    expect(visibleText(await eventually(() => h.responses(stranger.responseId)[0]))).toContain('Only approvers');
    await h.click(question, ACTION.keep, BOB);
    const settled = await eventually(() => buttonsOf(current(question)).length === 0 && current(question));
    expect(visibleText(settled)).toContain(`<@${BOB}> kept the access as it was`);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING', 'VIEW_COST']);
    expect(h.graph.writes()).toHaveLength(1);
  });

  it('refuses a grant longer than the configured maximum, storing nothing', async () => {
    h = await Harness.start({ env: { MAX_GRANT_DURATION: '1d' } });
    const reply = await h.command(`grant ${ALICE} MESSAGING for 2d`);
    expect(visibleText(await eventually(() => h.responses(reply.responseId)[0]))).toContain(
      'longer than the longest grant allowed (1d)',
    );
    expect(h.approvalMessages()).toEqual([]);
  });
});
