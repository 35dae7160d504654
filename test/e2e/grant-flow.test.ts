import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, DAVE, eventually, Harness, LEAD, TEAM_CHANNEL, WABA_ID } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

beforeEach(async () => {
  h = await Harness.start();
});

afterEach(async () => {
  await h.stop();
});

describe('grant, end to end', () => {
  it('asks, shows current → after, and on approval writes the union to Graph once and tells everyone', async () => {
    // A roster read first, as `/waba list` does: the user's own edge carries no name.
    const listed = await h.command('list');
    await eventually(() => h.responses(listed.responseId)[0]);
    const callsBefore = h.graph.calls.length;
    const reply = await h.command(`grant ${ALICE} messaging because covers support`);
    expect(reply.status).toBe(200);

    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    // Filing read the person's access once, on their own edge, and paged no roster.
    expect(h.graph.calls.slice(callsBefore).map((call) => `${call.method} ${call.path.split('/').pop()}`)).toEqual([
      'GET assigned_whatsapp_business_accounts',
    ]);
    const text = visibleText(approval!);
    expect(text).toContain(`<@${LEAD}>`);
    expect(text).toContain('Alice Example');
    expect(text).toMatch(/`MANAGE` → `MANAGE`, `MESSAGING`/);
    expect(text).toContain('covers support');
    expect(buttonsOf(approval!)).toEqual([ACTION.approve, ACTION.deny]);

    const submitted = await eventually(() => h.responses(reply.responseId)[0]);
    expect(visibleText(submitted)).toContain('sent it in <#CAPPROVALS>');

    const click = await h.click(approval!, ACTION.approve, ANN);
    expect(click.status).toBe(200);

    await eventually(() => h.graph.writes().length === 1);
    // Approving cost one fresh read of the person and one write, whatever the roster's size.
    expect(h.graph.calls.slice(callsBefore + 1).map((call) => `${call.method} ${call.path.split('/').pop()}`)).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'POST assigned_users',
    ]);
    const write = h.graph.writes()[0]!;
    expect(write.method).toBe('POST');
    expect(write.form).toEqual({ user: ALICE, tasks: '["MANAGE","MESSAGING"]' });
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);

    const updated = await eventually(() => {
      const message = h.approvalMessages()[0]!;
      return message.updates > 0 && message;
    });
    expect(buttonsOf(updated)).toEqual([]);
    expect(visibleText(updated)).toContain(`Approved by <@${ANN}>`);
    expect(visibleText(updated)).toContain('now has `MANAGE`, `MESSAGING`');

    const origin = await eventually(() => h.slack.messagesIn(TEAM_CHANNEL)[0]);
    expect(visibleText(origin)).toContain('✅');
    const dm = await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`)[0]);
    expect(visibleText(dm)).toContain('now has `MANAGE`, `MESSAGING`');
  });

  it('grants to a user who had no access, and rejects a user Meta does not know without storing anything', async () => {
    const unknown = await h.command('grant 999999999 MESSAGING');
    const answer = await eventually(() => h.responses(unknown.responseId)[0]);
    expect(visibleText(answer)).toContain('Meta does not know a user with id 999999999');
    expect(h.approvalMessages()).toHaveLength(0);

    await h.command(`grant ${DAVE} VIEW_TEMPLATES`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    expect(visibleText(approval!)).toMatch(/_no access_ → `VIEW_TEMPLATES`/);
    await h.click(approval!, ACTION.approve, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE)?.join() === 'VIEW_TEMPLATES');
  });
});
