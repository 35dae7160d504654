import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { GLOBAL_CHAIN, parseRecord } from '../../src/audit/chain.js';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, eventually, Harness, LEAD, WABA_ID } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const dm = (userId: string) => `D${userId.slice(1)}`;

describe('hostile input to the newer commands', () => {
  it('`/waba who` with a word that is a property of every object is a clear refusal, not a failure', async () => {
    h = await Harness.start();
    for (const word of ['constructor', 'toString', '__proto__', 'valueOf']) {
      const reply = await h.answer(`who ${word}`, LEAD);
      expect(reply).toContain('year-month-day');
      expect(reply).not.toContain('went wrong');
    }
  });

  it('`/waba audit since` a span longer than time itself exports everything, and the export is in the chain', async () => {
    h = await Harness.start({ env: { ADMIN_IDS: LEAD } });
    const reply = await h.answer('audit since 1000000000d', LEAD);
    expect(reply).toContain('Sent the whole audit trail');
    const message = await eventually(() => h.slack.messagesIn(dm(LEAD)).find((posted) => posted.files?.length));
    expect(message.text).not.toContain('Invalid Date');
    const trail = h.bot!.store.auditTrail;
    const head = await trail.head(GLOBAL_CHAIN);
    const [last] = await trail.lines(GLOBAL_CHAIN, head!.seq - 1, 1);
    expect(parseRecord(last!.text)).toMatchObject({ actor: LEAD, event: 'audit-exported' });
  });
});

describe('break-glass review when Meta refuses the removal', () => {
  it('Revoke now that Meta refuses tells the reviewer, leaves the access shown as running, and can be tried again', async () => {
    h = await Harness.start({ env: { BREAK_GLASS_IDS: LEAD, BREAK_GLASS_TASKS: 'VIEW_COST', BREAK_GLASS_MAX: '1h' } });
    await h.answer(`grant ${ALICE} VIEW_COST emergency because reports broken`);
    const isAnnouncement = (message: SlackMessage) => visibleText(message).includes('Break-glass access');
    const fresh = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
    const announcement = await eventually(() => h.approvalMessages().find(isAnnouncement));
    await eventually(() => buttonsOf(fresh(announcement)).includes(ACTION.breakGlassRevoke));
    h.graph.queueFault({
      status: 400,
      body: graphError(200, 'Permissions error', 'OAuthException'),
      match: ({ method }) => method !== 'GET',
    });
    const click = await h.click(fresh(announcement), ACTION.breakGlassRevoke, ANN);
    const said = visibleText(await eventually(() => h.responses(click.responseId)[0]));
    expect(said).toContain('Permissions error');
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'VIEW_COST']);
    // The access still runs: the message does not say it was revoked, and Revoke now is there to try again.
    const shown = await eventually(
      () => buttonsOf(fresh(announcement)).includes(ACTION.revokeNow) && fresh(announcement),
    );
    expect(visibleText(shown)).not.toContain('access revoked');
    await h.click(fresh(announcement), ACTION.revokeNow, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
  });
});

describe("I'm done when Meta refuses", () => {
  it('tells the person the access could not be given back, instead of saying nothing', async () => {
    h = await Harness.start();
    const fresh = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
    await h.command(`grant ${ALICE} MESSAGING for 1h because launch`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    await h.click(approval, ACTION.approve, ANN);
    await eventually(() => buttonsOf(fresh(approval)).includes(ACTION.revokeNow));
    const grant = (await h.bot!.service.grantsOf(LEAD))[0]!;
    h.graph.queueFault({
      status: 400,
      body: graphError(200, 'Permissions error', 'OAuthException'),
      match: ({ method }) => method !== 'GET',
    });
    const click = await h.click(fresh(approval), ACTION.done, LEAD, grant.id);
    const said = visibleText(await eventually(() => h.responses(click.responseId)[0]));
    expect(said).toContain('Permissions error');
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
  });
});
