import { describe, expect, it } from 'vitest';
import { type Account, accountPolicy } from '../../src/access/accounts.js';
import { approve, deny, expire, expireUnretried, fail, startExecution, succeed } from '../../src/access/request.js';
import { rosterPage } from '../../src/access/roster-view.js';
import { TASKS } from '../../src/graph/tasks.js';
import { accountListMessage, accountsMessage, budgetLine } from '../../src/slack/blocks/accounts.js';
import { linkChangeMessage } from '../../src/slack/blocks/links.js';
import { composeModal, denyModal } from '../../src/slack/blocks/modals.js';
import {
  activeGrantsMessage,
  commandLimitMessage,
  helpMessage,
  problemMessage,
} from '../../src/slack/blocks/replies.js';
import { approvalMessage, conflictMessage, resultMessage } from '../../src/slack/blocks/request.js';
import { rosterPageMessage } from '../../src/slack/blocks/roster.js';
import type { Block, MessageBody, ModalView } from '../../src/slack/blocks/types.js';
import { plain } from '../../src/slack/format.js';
import { ACTION } from '../../src/slack/ids.js';
import { LIMITS } from '../../src/slack/limits.js';
import { decodeListState } from '../../src/slack/list-state.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { at, later, pendingRequest } from '../support/requests.js';

const HOUR = 3_600_000;

/** The parts of a block the limits speak of. */
interface LooseBlock {
  type: string;
  block_id?: string;
  text?: { text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ text: { text: string }; value?: string }>;
}

/** Every Block Kit limit the bot could run into, checked on one message or view. */
function limitProblems(blocks: Block[], maxBlocks: number): string[] {
  const problems: string[] = [];
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks`);
  for (const block of blocks as unknown as LooseBlock[]) {
    if (block.type === 'section') {
      if (block.text && block.text.text.length > LIMITS.sectionText) problems.push('section text too long');
      if ((block.fields ?? []).length > LIMITS.sectionFields) problems.push('too many fields');
      for (const field of block.fields ?? []) if (field.text.length > LIMITS.fieldText) problems.push('field too long');
    }
    if (block.type === 'header' && (block.text?.text.length ?? 0) > LIMITS.headerText) problems.push('header too long');
    if (block.type === 'actions') {
      const elements = block.elements ?? [];
      if (elements.length > LIMITS.actionsElements) problems.push('too many buttons');
      for (const element of elements) {
        if (element.text.text.length > LIMITS.buttonText) problems.push('button text too long');
        if ((element.value ?? '').length > LIMITS.buttonValue) problems.push('button value too long');
      }
    }
    if ((block.block_id ?? '').length > 255) problems.push('block_id too long');
  }
  return problems;
}

const withinMessageLimits = (body: MessageBody) => expect(limitProblems(body.blocks, LIMITS.messageBlocks)).toEqual([]);

function roster(count: number) {
  return {
    users: Array.from({ length: count }, (_, i) => ({
      id: String(100_000_000_000_000 + i),
      name: `A rather long display name for user number ${i}`,
      user_type: 'BUSINESS_USER',
      tasks: [...TASKS].slice(0, 6),
    })),
    totalCount: count,
    readAt: '2025-11-30T08:00:00.000Z',
  };
}

describe('approval message', () => {
  it('carries the request id in both buttons, and nothing else', () => {
    const message = approvalMessage(pendingRequest({ reason: 'because' }));
    withinMessageLimits(message);
    const actions = message.blocks.find((block) => block.type === 'actions') as {
      elements: Array<{ action_id: string; value: string; style: string }>;
    };
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      [ACTION.approve, 'r1', 'primary'],
      [ACTION.deny, 'r1', 'danger'],
    ]);
  });

  it('escapes what people typed and keeps a 10,000-character reason within limits', () => {
    const message = approvalMessage(
      pendingRequest({ reason: `<!channel> & ${'x'.repeat(10_000)}`, targetName: '<@U1>' }),
    );
    withinMessageLimits(message);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('&lt;!channel&gt; &amp;');
    expect(text).toContain('&lt;@U1&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('has no decision buttons once decided, and offers Retry only after a failure', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    const states = [
      succeed(executing, later, ['MANAGE', 'MESSAGING']),
      deny(pendingRequest(), 'UBOB', at, 'no'),
      expire(pendingRequest(), later),
      fail(
        executing,
        later,
        {
          message: 'Session expired',
          category: 'auth',
          code: 190,
          subcode: 463,
          fbtraceId: 'AbC',
        },
        3_600_000,
      ),
    ];
    const buttons = states.map((state) =>
      approvalMessage(state)
        .blocks.filter((block) => block.type === 'actions')
        .flatMap((block) => (block as { elements: Array<{ action_id: string }> }).elements.map((e) => e.action_id)),
    );
    expect(buttons).toEqual([[], [], [], [ACTION.retry]]);
    const failed = JSON.stringify(approvalMessage(states[3]!).blocks);
    expect(failed).toContain('configuration problem');
    expect(failed).toContain('AbC');
    for (const state of states) {
      withinMessageLimits(approvalMessage(state));
      withinMessageLimits(resultMessage(state));
    }
  });

  it('says until when Retry works, and once that has passed, that the failure was not retried in time', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    const failed = fail(executing, later, { message: 'Permissions error', category: 'permission', code: 200 }, HOUR);
    const deadline = new Date(later.getTime() + HOUR);
    const seconds = deadline.getTime() / 1000;
    expect(visibleText(approvalMessage(failed))).toContain(`Retry is possible until <!date^${seconds}^`);
    expect(visibleText(approvalMessage(failed))).not.toContain(deadline.toISOString());

    const expired = expireUnretried(failed, deadline, HOUR);
    const text = visibleText(approvalMessage(expired));
    expect(text).toContain(`it was not retried in time (by <!date^${seconds}^`);
    expect(text).toContain('*Meta said:* Permissions error (code 200)');
    expect(buttonsOf(approvalMessage(expired))).toEqual([]);
    // The requester hears how it ended, with a way to ask again.
    expect(buttonsOf(resultMessage(expired))).toEqual([ACTION.requestAgain]);
  });
});

describe('who the target is', () => {
  const userField = (message: MessageBody) =>
    (message.blocks[1] as { fields: Array<{ text: string }> }).fields.find((field) => field.text.startsWith('*User*'))!
      .text;
  const linked = pendingRequest({ targetSlackId: 'UALICE', targetName: 'Alice Example', targetUserId: '300' });

  it('says who linked the person to the Meta user and when, or that the policy file lists them', () => {
    expect(userField(approvalMessage(linked, undefined, { kind: 'linked', by: 'UANN', at: at.toISOString() }))).toBe(
      `*User*\n<@UALICE> · *Alice Example* (\`300\`)\n_Linked by <@UANN> <!date^${at.getTime() / 1000}^{date_short_pretty} at {time}|2026-01-01 10:00 UTC>_`,
    );
    expect(userField(approvalMessage(linked, undefined, { kind: 'listed' }))).toContain(
      '\n_Listed in the policy file_',
    );
    expect(userField(approvalMessage(linked, undefined, { kind: 'no-longer-linked', slackId: 'UALICE' }))).toContain(
      '⚠️ _No longer linked to <@UALICE>: check who this Meta user is before approving_',
    );
    expect(userField(approvalMessage(linked))).toBe('*User*\n<@UALICE> · *Alice Example* (`300`)');
  });

  it('keeps a hostile 5,000-character Meta name escaped and within limits', () => {
    const message = approvalMessage({ ...linked, targetName: `<!here> & ${'n'.repeat(5_000)}` }, undefined, {
      kind: 'linked',
      by: 'UANN',
      at: at.toISOString(),
    });
    withinMessageLimits(message);
    expect(userField(message)).toMatch(/^\*User\*\n<@UALICE> · \*&lt;!here&gt; &amp; n+…$/);
  });

  it('announces link changes in one line, with what the person was before', () => {
    const link = { slackId: 'UALICE', metaUserId: '300', by: 'UANN', at: at.toISOString() };
    expect(linkChangeMessage({ kind: 'linked', by: 'UANN', link }).text).toBe(
      '🔗 <@UANN> linked <@UALICE> to Meta user `300` (was not linked).',
    );
    expect(
      linkChangeMessage({
        kind: 'linked',
        by: 'UBOB',
        link,
        previous: { ...link, metaUserId: '299' },
        displaced: { ...link, slackId: 'UEVE' },
      }).text,
    ).toBe(
      '🔗 <@UBOB> linked <@UALICE> to Meta user `300` (was `299`); <@UEVE> was linked to it before and no longer is.',
    );
    const unlinked = linkChangeMessage({ kind: 'unlinked', by: 'UBOB', link });
    expect(unlinked.text).toBe('🔗 <@UBOB> unlinked <@UALICE> from Meta user `300`.');
    withinMessageLimits(unlinked);
  });
});

describe('temporary grants', () => {
  const grant = {
    id: 'r1',
    requestId: 'r1',
    wabaId: '1',
    userId: '2',
    tasks: ['MESSAGING' as const],
    requesterId: 'ULEAD',
    originChannelId: 'C',
    startsAt: at.toISOString(),
    endsAt: later.toISOString(),
    state: 'active' as const,
    conflictMessages: [],
  };
  const succeeded = succeed(startExecution(approve(pendingRequest({ durationMs: 3_600_000 }), 'UANN', at), at, 1), at, [
    'MANAGE',
    'MESSAGING',
  ]);

  it('offer Extend and Revoke now while active, and nothing once ended', () => {
    const buttons = (message: MessageBody) => JSON.stringify(message.blocks).match(/waba_[a-z_]+/g);
    expect(buttons(approvalMessage(succeeded, grant))).toEqual([ACTION.extend, ACTION.revokeNow]);
    const ended = {
      ...grant,
      state: 'ended' as const,
      outcome: 'restored' as const,
      endedAt: later.toISOString(),
      finalTasks: ['MANAGE' as const],
    };
    expect(buttons(approvalMessage(succeeded, ended))).toBeNull();
    expect(JSON.stringify(approvalMessage(succeeded, ended).blocks)).toContain('back to `MANAGE`');
  });

  it('ask Restore or Keep on a conflict, within limits', () => {
    const conflict = {
      ...grant,
      state: 'conflict' as const,
      conflict: { expected: ['MANAGE' as const], found: null, target: null },
    };
    const message = conflictMessage(conflict, succeeded);
    withinMessageLimits(message);
    expect(JSON.stringify(message.blocks)).toContain(ACTION.restore);
    withinMessageLimits(activeGrantsMessage(Array.from({ length: 400 }, (_, i) => ({ ...grant, id: `g${i}` }))));
  });
});

const ACCOUNT = accountPolicy({ alias: 'support', wabaId: '123', businessId: '1', approverIds: ['UANN'] });

describe('roster page', () => {
  const READ = { kind: 'read' } as const;
  const buttonValues = (body: MessageBody) =>
    Object.fromEntries(
      (body.blocks as unknown as LooseBlock[])
        .filter((block) => block.type === 'actions')
        .flatMap((block) => block.elements ?? [])
        .map((element) => [(element as unknown as { action_id: string }).action_id, element.value]),
    );

  it.each([0, 1, 25, 250, 10_000])('renders the first page of %d users within Slack’s limits', (count) => {
    const message = rosterPageMessage(rosterPage(roster(count), undefined), { account: ACCOUNT, source: READ });
    withinMessageLimits(message);
    expect(message.text).toBeTruthy();
    expect(JSON.stringify(message).length).toBeLessThan(12_000);
  });

  it('says how many there are, when they were read, and carries the next page in Show more', () => {
    const message = rosterPageMessage(rosterPage(roster(10_000), undefined), { account: ACCOUNT, source: READ });
    const text = visibleText(message);
    expect(text).toContain('1–25 of 10000 users');
    expect(text).toContain('read from Meta <!date^1764489600^{date_short_pretty} at {time}|2025-11-30 08:00 UTC>');
    expect(text).not.toContain('2025-11-30T08');
    const buttons = buttonValues(message);
    expect(Object.keys(buttons)).toEqual([ACTION.listMore, ACTION.listRefresh]);
    expect(decodeListState(buttons[ACTION.listMore])).toEqual({
      alias: 'support',
      cursor: { offset: 25, afterId: expect.any(String) },
    });
    expect(decodeListState(buttons[ACTION.listRefresh])).toEqual({ alias: 'support' });
  });

  it('has no Show more on the last page, and says when nobody matches a filter', () => {
    const small = rosterPageMessage(rosterPage(roster(3), undefined), { account: ACCOUNT, source: READ });
    expect(visibleText(small)).toContain('All 3 users');
    expect(Object.keys(buttonValues(small))).toEqual([ACTION.listRefresh]);

    const filter = { kind: 'text', text: '<!channel> & *bold*' } as const;
    const none = rosterPageMessage(rosterPage(roster(3), filter), { account: ACCOUNT, filter, source: READ });
    const text = visibleText(none);
    expect(text).toContain('matching “&lt;!channel&gt; &amp; *bold*”');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('/waba list MESSAGING');
    expect(decodeListState(buttonValues(none)[ACTION.listRefresh])).toEqual({ alias: 'support', filter });
  });

  it('escapes what Meta sends, and names a person filter by its Slack mention', () => {
    const hostile = {
      users: [{ id: '1', name: '<@U999> & <!here>', user_type: '<b>', tasks: ['MANAGE'] }],
      readAt: '2025-11-30T08:00:00.000Z',
    };
    const filter = { kind: 'user', userId: '1' } as const;
    const message = rosterPageMessage(rosterPage(hostile, filter), {
      account: ACCOUNT,
      filter,
      person: 'UALICE',
      source: READ,
    });
    const text = visibleText(message);
    expect(text).toContain('&lt;@U999&gt; &amp; &lt;!here&gt;');
    expect(text).toContain('&lt;b&gt;');
    expect(text).toContain('who are <@UALICE>');
    expect(text).not.toContain('<!here>');
  });

  it('says the list is the last read, and when calls resume, while Meta holds calls', () => {
    const message = rosterPageMessage(rosterPage(roster(5), undefined), {
      account: ACCOUNT,
      source: { kind: 'held', until: Date.parse('2025-11-30T09:00:00Z') },
    });
    expect(visibleText(message)).toContain('Meta asked the bot to slow down');
    expect(visibleText(message)).toContain('<!date^1764493200^');
  });
});

describe('budget and command limit', () => {
  it('shows each reading with when Meta reported it, and when held calls resume', () => {
    const reported = Date.parse('2025-11-30T08:00:00Z');
    const line = budgetLine({
      reports: [
        { key: '555', type: 'whatsapp_business_management', percent: 42.4, reportedAt: reported },
        { key: 'app', percent: 7, reportedAt: reported },
      ],
      heldUntil: reported + 600_000,
    }).text;
    expect(line).toContain('42 % for whatsapp_business_management (<!date^1764489600^');
    expect(line).toContain('7 % for the app as a whole');
    expect(line).toContain('calls held until <!date^1764490200^');
    expect(budgetLine({ reports: [], heldUntil: 0 }).text).toContain('not reported yet');
  });

  it('tells a person over the limit how long to wait and what still works', () => {
    const message = commandLimitMessage(20, 34_200);
    expect(message.text).toContain('You’ve sent 20 commands in the last minute; try again in 35 s.');
    expect(visibleText(message)).toContain('/waba help');
  });
});

describe('other replies and views', () => {
  it('stay within limits', () => {
    withinMessageLimits(helpMessage());
    withinMessageLimits(problemMessage(plain('x'.repeat(5_000)), plain('y')));
    withinMessageLimits(
      accountsMessage(
        '1',
        Array.from({ length: 300 }, (_, i) => ({ id: String(i), name: `WABA ${i}`, permissions: ['MANAGE'] })),
      ),
    );
    for (const view of [composeModal({ channelId: 'C1' }), denyModal('r1')] as ModalView[]) {
      expect(limitProblems(view.blocks as Block[], LIMITS.viewBlocks)).toEqual([]);
      for (const label of [view.title, view.submit, view.close])
        expect(label!.text.length).toBeLessThanOrEqual(LIMITS.modalTitle);
      expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(LIMITS.privateMetadata);
    }
  });

  it('lists configured accounts with their rules, within limits however many there are', () => {
    const accounts = Array.from(
      { length: 120 },
      (_, i) =>
        ({
          policy: accountPolicy({
            alias: `line-${i}`,
            wabaId: String(1000 + i),
            businessId: '9',
            approverIds: Array.from({ length: 300 }, (_, j) => `U${j}APPROVER`),
            tasks: ['MESSAGING'],
            approvals: { default: 1, byTask: { MESSAGING: 2 } },
            durations: { maxMs: 7 * 86_400_000, minMs: 60_000, allowPermanent: false },
            reasonRequired: true,
            requesters: { people: ['SLEADS'], channelIds: ['CSUPPORT'] },
          }),
        }) as Account,
    );
    const message = accountListMessage(
      accounts,
      accounts[1]!,
      new Map([['1001', { reports: [{ key: 'app', percent: 12, reportedAt: 0 }], heldUntil: 0 }]]),
    );
    withinMessageLimits(message);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('*line-1* (default) · WABA `1001`');
    expect(text).toContain('1 approval needed (MESSAGING: 2)');
    expect(text).toContain('Tasks: MESSAGING · longest grant: 7d · a reason is required');
    expect(text).toContain('Who may ask: <#CSUPPORT>, <!subteam^SLEADS>');
    expect(text).toContain('Meta budget used: 12 % for the app as a whole');
    expect(text).toContain('Meta budget: not reported yet');
    expect(text).not.toContain('*line-0* (default)');
    expect(text).toContain('Showing 48 of 120 accounts.');

    const form = composeModal(
      { channelId: 'C1' },
      { aliases: accounts.map((a) => a.policy.alias), defaultAlias: 'line-119' },
    );
    const select = form.blocks[0] as {
      element: { options: Array<{ value: string }>; initial_option: { value: string } };
    };
    expect(select.element.options).toHaveLength(LIMITS.selectOptions);
    expect(select.element.options[0]!.value).toBe('line-119');
    expect(select.element.initial_option.value).toBe('line-119');
    expect(composeModal({ channelId: 'C1' }, { aliases: ['only'], defaultAlias: 'only' }).blocks[0]!.block_id).toBe(
      'kind',
    );
  });

  it('offers every task in the form', () => {
    const tasks = composeModal({ channelId: 'C1' }).blocks.find((block) => block.block_id === 'tasks') as {
      element: { options: Array<{ value: string }> };
    };
    expect(tasks.element.options.map((option) => option.value)).toEqual([...TASKS]);
  });
});
