import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join as joinPath, relative } from 'node:path';
import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { type Account, type AccountLookup, accountPolicy } from '../../src/access/accounts.js';
import type { TemporaryGrant } from '../../src/access/grants.js';
import type { RuleProblem, SubmitRefusal } from '../../src/access/outcomes.js';
import {
  type AccessRequest,
  approve,
  cancel,
  deny,
  type ExecutionError,
  expire,
  fail,
  type Pending,
  startExecution,
  succeed,
} from '../../src/access/request.js';
import { rosterPage } from '../../src/access/roster-view.js';
import type { DecideResult } from '../../src/access/service.js';
import { GraphError } from '../../src/graph/errors.js';
import * as audit from '../../src/slack/blocks/audit.js';
import * as home from '../../src/slack/blocks/home.js';
import * as kit from '../../src/slack/blocks/kit.js';
import * as links from '../../src/slack/blocks/links.js';
import * as modals from '../../src/slack/blocks/modals.js';
import * as outcomes from '../../src/slack/blocks/outcomes.js';
import * as replies from '../../src/slack/blocks/replies.js';
import * as request from '../../src/slack/blocks/request.js';
import * as grammar from '../../src/slack/command-grammar.js';
import * as format from '../../src/slack/format.js';
import type { ListenerDeps } from '../../src/slack/listeners/deps.js';
import * as people from '../../src/slack/listeners/people.js';
import * as listenerReplies from '../../src/slack/listeners/replies.js';
import * as notifier from '../../src/slack/notifier.js';
import { type AllowedTokens, limitProblems, mrkdwnProblems, textsOf } from '../support/mrkdwn-check.js';
import { at, later, pendingRequest } from '../support/requests.js';

/**
 * Every surface the bot draws, rendered with hostile text in every field that comes from outside the bot, and read
 * the way Slack reads it: no `<…>` token may be live unless the bot meant it, no `&` may be bare, no time may be
 * written out by hand, and every payload stays within Slack's limits.
 */

const LEAD = 'ULEAD';
const ANN = 'UANN';
const BOB = 'UBOB';
const GROUP = 'SLEADS';
const APPROVALS = 'CAPPROVALS';
const TEAM = 'CTEAM';
const PERMALINK = 'https://slack.example/archives/CAPPROVALS/p1700000000000100';

const ALLOWED: AllowedTokens = {
  users: [LEAD, ANN, BOB],
  groups: [GROUP],
  channels: [APPROVALS, TEAM],
  links: [PERMALINK],
};

const HOSTILE: Record<string, string> = {
  broadcast: '<!channel>',
  link: '<https://evil.example|Approve here>',
  mention: '<@U0ADMIN>',
  group: '<!subteam^S1>',
  entity: '&amp; &lt;b&gt; & done',
  formatting: '*bold* _it_ ~strike~ `code` ```\nblock``` > not a quote',
  mixed: '<#C0EVIL|general> <!here> <!date^1^{date}|soon> <mailto:x@evil.example|HR>',
  long: '<!channel> <https://evil.example|Approve here> & '.repeat(60).slice(0, 3000),
};

/** Requests in every state a surface can show, with hostile text in every foreign field. */
function requestsWith(h: string): AccessRequest[] {
  const pending = pendingRequest({
    id: h,
    wabaId: h,
    accountAlias: h,
    targetUserId: h,
    targetName: h,
    targetSlackId: h,
    reason: h,
    durationMs: 3_600_000,
  });
  const named = pendingRequest({ id: h, targetName: h, targetSlackId: LEAD, reason: h });
  const executing = startExecution(approve(pending, ANN, at), at, 1);
  const error: ExecutionError = { message: h, userMessage: h, fbtraceId: h, category: 'auth', code: 190, subcode: 4 };
  return [
    pending,
    named,
    { ...pending, kind: 'revoke' },
    { ...pending, kind: 'extend', grantEndsAt: later.toISOString() },
    approve({ ...pending, approvalsRequired: 3 }, ANN, at),
    { ...pending, approvalsRequired: 2 },
    approve(pending, ANN, at),
    executing,
    succeed(executing, later, ['MANAGE', 'MESSAGING']),
    succeed({ ...executing, kind: 'revoke' }, later, [], { hadNoAccess: true }),
    { ...succeed({ ...executing, kind: 'revoke' }, later, []), note: h },
    fail(executing, later, { message: h, category: 'invalid', reason: 'extension-too-long', maxMs: 86_400_000 }),
    fail(executing, later, { message: h, category: 'unknown', reason: 'unexpected' }),
    succeed({ ...executing, kind: 'extend' }, later, ['MESSAGING']),
    fail(executing, later, error),
    fail(executing, later, { message: h, category: 'throttled', code: 80008, retryAt: later.toISOString() }),
    fail(executing, later, { message: h, category: 'throttled' }),
    fail(executing, later, { message: h, category: 'permission' }),
    fail(executing, later, { message: h, category: 'not_found' }),
    fail(executing, later, { message: h, category: 'unknown' }),
    deny(pending, BOB, later, h),
    expire(pending, later),
    cancel(pending, LEAD, later),
  ];
}

function pendingWith(h: string): Pending[] {
  return requestsWith(h).filter((r): r is Pending => r.state === 'pending');
}

/** Temporary grants in every state and ending, with hostile text in every foreign field. */
function grantsWith(h: string): TemporaryGrant[] {
  const active: TemporaryGrant = {
    id: h,
    requestId: h,
    wabaId: h,
    userId: h,
    targetName: h,
    tasks: ['MESSAGING'],
    requesterId: LEAD,
    originChannelId: TEAM,
    startsAt: at.toISOString(),
    endsAt: later.toISOString(),
    state: 'active',
    conflictMessages: [],
  };
  const outcomes = ['restored', 'removed', 'kept', 'overridden', 'revoked', 'lost'] as const;
  return [
    active,
    { ...active, state: 'conflict', conflict: { expected: ['MANAGE'], found: null, target: ['MANAGE'] } },
    ...outcomes.map((outcome) => ({
      ...active,
      state: 'ended' as const,
      outcome,
      endedAt: later.toISOString(),
      endedBy: ANN,
      finalTasks: ['MANAGE' as const],
    })),
    { ...active, state: 'ended', outcome: 'restored', endedAt: later.toISOString(), endedBy: 'system' },
  ];
}

function accountWith(h: string, alias = h): Account {
  return {
    policy: accountPolicy({
      alias,
      wabaId: h,
      businessId: h,
      approverIds: [ANN, GROUP, h],
      approvalChannelId: h,
      tasks: ['MESSAGING'],
      approvals: { default: 2, byTask: { MESSAGING: 3 } },
      reasonRequired: true,
      requesters: { people: [LEAD, h], channelIds: [TEAM, h] },
    }),
  } as Account;
}

function lookupWith(h: string, channel?: string): AccountLookup {
  const account = accountWith(h);
  const routed = {
    ...account,
    policy: { ...account.policy, approvalChannelId: channel },
    approvers: { approverUserIds: async () => [ANN, BOB, LEAD] },
  } as unknown as Account;
  return { default: routed, list: () => [routed], byAlias: () => routed, forWaba: () => routed };
}

/** A WebClient that records what the bot would send. */
function recordingClient(sent: unknown[]): webApi.WebClient {
  const record = async (args: unknown) => {
    sent.push(args);
    return { ok: true, channel: APPROVALS, ts: '1.0', permalink: PERMALINK };
  };
  return {
    chat: { postMessage: record, update: record, postEphemeral: record, getPermalink: record },
    views: { open: record, publish: record },
  } as unknown as webApi.WebClient;
}

/** Every way a request can be refused, with hostile text wherever a refusal carries some. */
function refusalsWith(h: string): SubmitRefusal[] {
  return [
    { kind: 'unknown-account', alias: h, aliases: [h, 'support'] },
    { kind: 'not-a-requester', account: h },
    { kind: 'no-tasks' },
    { kind: 'tasks-on-revoke' },
    { kind: 'not-requestable', account: h, tasks: ['FULL_CONTROL'], allowed: ['MESSAGING'] },
    { kind: 'reason-required', account: h },
    { kind: 'permanent-off', maxMs: 86_400_000 },
    { kind: 'too-long', askedMs: 9 * 86_400_000, maxMs: 86_400_000 },
    { kind: 'too-short', askedMs: 1_000, minMs: 60_000 },
    { kind: 'unknown-user', userId: h },
    { kind: 'no-access', userId: h },
    { kind: 'already-has', userId: h, tasks: ['MESSAGING'] },
    { kind: 'too-few-approvers', account: h, required: 2, possible: 1 },
    { kind: 'too-few-approvers', account: h, required: 1, possible: 0 },
    { kind: 'not-announced' },
    { kind: 'own-grant' },
    { kind: 'not-approver' },
    { kind: 'grant-ended' },
    { kind: 'extension-waiting', requestId: h },
    { kind: 'extension-too-long', totalMs: 9 * 86_400_000, maxMs: 86_400_000, mostMs: 3_600_000 },
  ];
}

function decideResultsWith(h: string): DecideResult[] {
  return requestsWith(h).flatMap((r): DecideResult[] => {
    const results: DecideResult[] = [
      { kind: 'done', request: r },
      { kind: 'already', request: r },
      { kind: 'unconfigured', request: r },
      { kind: 'forbidden', reason: 'not-approver', request: r, approverIds: [ANN, GROUP, h] },
      { kind: 'forbidden', reason: 'own-request', request: r, approverIds: [ANN] },
      {
        kind: 'retry-refused',
        request: r,
        refusal: { kind: 'tasks-withdrawn', account: h, tasks: ['MESSAGING'], allowed: ['MANAGE'] },
      },
    ];
    if (r.state === 'pending') results.push({ kind: 'progress', request: r }, { kind: 'duplicate', request: r });
    return results;
  });
}

type Render = (h: string) => unknown[] | Promise<unknown[]>;

/** A fixture per export of each module that draws text; `quiet` marks those with no foreign text to show. */
interface Fixture {
  render: Render;
  quiet?: true;
}

const each =
  <T>(items: (h: string) => T[], draw: (item: T, h: string) => unknown): Render =>
  (h) =>
    items(h).map((item) => draw(item, h));

const FIXTURES: Record<string, Record<string, Fixture>> = {
  'format.ts': {
    Mrkdwn: { render: (h) => [format.plain(h)] },
    mrkdwn: { render: (h) => [format.mrkdwn`Reason: ${h}; by ${format.mention(ANN)} ${format.slackDate(at)}`] },
    plain: { render: (h) => [format.plain(h)] },
    code: { render: (h) => [format.code(h)] },
    mention: { render: (h) => [format.mention(h), format.mention(`U1>${h}`), format.mention(LEAD)] },
    channel: { render: (h) => [format.channel(h), format.channel(TEAM)] },
    link: { render: (h) => [format.link(PERMALINK, h)] },
    slackDate: { render: (h) => [format.slackDate(h), format.slackDate(later), format.slackDate(at.toISOString())] },
    taskList: { render: (h) => [format.taskList([h, 'MESSAGING']), format.taskList(null)] },
    join: { render: (h) => [format.join([format.plain(h), format.mention(ANN)], ', ')] },
    withoutBold: { render: (h) => [format.withoutBold(format.mrkdwn`*${h}*`), format.plain(h)] },
    clip: { render: (h) => [100, 17, 13, 12, 11, 2].map((max) => format.clip(format.plain(h.repeat(20)), max)) },
    clipPlain: { render: (h) => [{ type: 'plain_text', text: format.clipPlain(h, 75) }], quiet: true },
    packLines: { render: (h) => format.packLines([format.plain(h), format.plain(h.repeat(3))], 2000) },
  },
  'blocks/kit.ts': {
    text: { render: (h) => [kit.text(format.plain(h))] },
    plainText: { render: (h) => [kit.plainText(h.repeat(2), 75)], quiet: true },
    section: { render: (h) => [kit.section(format.plain(h.repeat(3)), kit.button('a', h, h))] },
    fields: { render: (h) => [kit.fields(Array.from({ length: 12 }, () => format.plain(h)))] },
    context: { render: (h) => [kit.context(format.plain(h.repeat(3)))] },
    header: { render: (h) => [kit.header(h)], quiet: true },
    divider: { render: () => [kit.divider()], quiet: true },
    blockId: { render: (h) => [{ type: 'actions', block_id: kit.blockId('decide', h), elements: [] }], quiet: true },
    actions: { render: (h) => [kit.actions(kit.blockId('x', h), [kit.button('a', h, h.repeat(3))])], quiet: true },
    button: { render: (h) => [kit.actions('x', [kit.button('a', h, h.repeat(3))])], quiet: true },
    message: { render: (h) => [kit.message(format.plain(h.repeat(2)), [kit.section(format.plain(h))])] },
    reply: { render: (h) => [kit.reply(format.plain(h.repeat(2)))] },
  },
  'blocks/links.ts': {
    linkChangeMessage: {
      render: (h) => {
        const link = { slackId: LEAD, metaUserId: h, by: ANN, at: at.toISOString() };
        return [
          links.linkChangeMessage({ kind: 'linked', by: ANN, link, previous: link, displaced: link }),
          links.linkChangeMessage({ kind: 'linked', by: ANN, link }),
          links.linkChangeMessage({ kind: 'unlinked', by: ANN, link }),
        ];
      },
    },
  },
  'blocks/request.ts': {
    originText: {
      render: (h) =>
        [
          request.originText({ kind: 'listed' }),
          request.originText({ kind: 'linked', by: ANN, at: at.toISOString() }),
          request.originText({ kind: 'no-longer-linked', slackId: LEAD }),
          request.originText({ kind: 'linked', by: ANN, at: h }),
        ].flatMap((text) => (text ? [kit.section(text)] : [])),
      quiet: true,
    },
    targetLabel: { render: each(requestsWith, (r) => request.targetLabel(r)) },
    summary: { render: each(requestsWith, (r) => request.summary(r)) },
    approvalMessage: {
      render: (h) => [
        ...requestsWith(h).map((r) => request.approvalMessage(r)),
        ...grantsWith(h).map((g) => request.approvalMessage(requestsWith(h)[8]!, g)),
      ],
    },
    decideButtons: { render: (h) => [request.decideButtons(h)], quiet: true },
    approvalProgress: { render: each(requestsWith, (r) => request.approvalProgress(r) ?? ''), quiet: true },
    outcomeText: { render: each(requestsWith, (r) => request.outcomeText(r)) },
    grantText: { render: (h) => grantsWith(h).map((g) => request.grantText(g, requestsWith(h)[0]!)) },
    failureText: {
      render: (h) =>
        requestsWith(h).flatMap((r) =>
          r.state === 'failed' ? [request.failureText(r.error), request.failureText(r.error, 'command')] : [],
        ),
    },
    resultMessage: {
      render: (h) => [
        ...requestsWith(h).map((r) => request.resultMessage(r)),
        ...grantsWith(h).map((g) => request.resultMessage(requestsWith(h)[8]!, g)),
      ],
    },
    grantNotice: { render: (h) => grantsWith(h).map((g) => request.grantNotice(g, requestsWith(h)[8]!)) },
    conflictMessage: { render: (h) => grantsWith(h).map((g) => request.conflictMessage(g, requestsWith(h)[8]!)) },
  },
  'blocks/replies.ts': {
    helpMessage: { render: () => [replies.helpMessage()], quiet: true },
    problemMessage: { render: (h) => [replies.problemMessage(format.plain(h), format.plain(h))] },
    saidMessage: {
      render: (h) => [
        replies.saidMessage({ problem: format.mrkdwn`${format.code(h)} is not a task I know.`, hint: format.plain(h) }),
      ],
    },
    submittedMessage: {
      render: (h) =>
        pendingWith(h).flatMap((r) => [replies.submittedMessage(r, APPROVALS), replies.submittedMessage(r, h)]),
    },
    rosterPageMessage: {
      render: (h) => {
        const roster = {
          users: Array.from({ length: 300 }, (_, i) => ({ id: `${i}`, name: h, user_type: h, tasks: [h] })),
          readAt: at.toISOString(),
        };
        const account = accountWith(h, 'support').policy;
        const read = { kind: 'read' } as const;
        return [
          replies.rosterPageMessage(rosterPage(roster, undefined), { account, source: read }),
          replies.rosterPageMessage(rosterPage(roster, { kind: 'text', text: h }), {
            account,
            filter: { kind: 'text', text: h },
            source: { kind: 'held', until: later.getTime() },
          }),
          replies.rosterPageMessage(rosterPage({ users: [], readAt: at.toISOString() }, { kind: 'user', userId: h }), {
            account,
            filter: { kind: 'user', userId: h },
            person: LEAD,
            source: read,
          }),
        ];
      },
    },
    commandLimitMessage: { render: () => [replies.commandLimitMessage(20, 35_000)], quiet: true },
    budgetLine: {
      render: (h) => [
        kit.section(replies.budgetLine(undefined)),
        kit.section(
          replies.budgetLine({
            reports: [
              { key: h, type: h, percent: 91, reportedAt: at.getTime() },
              { key: 'app', percent: 3, reportedAt: at.getTime() },
            ],
            heldUntil: later.getTime(),
          }),
        ),
      ],
    },
    accountsMessage: {
      render: (h) => [
        replies.accountsMessage(
          h,
          Array.from({ length: 300 }, () => ({ id: h, name: h, status: h, permissions: [h] })),
        ),
        replies.accountsMessage(h, []),
      ],
    },
    submitReply: {
      render: (h) => [
        ...pendingWith(h).map((r) =>
          replies.submitReply({ kind: 'submitted', request: r, account: accountWith(h).policy }),
        ),
        replies.submitReply({ kind: 'already-has', userId: h, tasks: ['MESSAGING'] }),
        replies.submitReply({ kind: 'unknown-account', alias: h, aliases: [h, 'support'] }),
      ],
    },
    activeGrantsMessage: {
      render: (h) => [
        replies.activeGrantsMessage(Array.from({ length: 200 }, () => grantsWith(h)).flat()),
        replies.activeGrantsMessage(grantsWith(h), new Map([[h, h]])),
        replies.activeGrantsMessage([]),
      ],
    },
    alreadyDecidedText: { render: each(requestsWith, (r) => replies.alreadyDecidedText(r)) },
    forbiddenText: {
      render: (h) => [replies.forbiddenText('not-approver', [ANN, GROUP, h]), replies.forbiddenText('own-request', [])],
    },
    unconfiguredText: { render: each(requestsWith, (r) => replies.unconfiguredText(r)) },
    GRANT_NOT_LIVE_TEXT: { render: () => [replies.GRANT_NOT_LIVE_TEXT], quiet: true },
    BUSY_TEXT: { render: () => [replies.BUSY_TEXT], quiet: true },
    NOT_FOUND_TEXT: { render: () => [replies.NOT_FOUND_TEXT], quiet: true },
    reminderMessage: {
      render: (h) =>
        pendingWith(h).flatMap((r) => [replies.reminderMessage(r, PERMALINK), replies.reminderMessage(r, undefined)]),
    },
    linkReply: {
      render: (h) => {
        const link = { slackId: h, metaUserId: h, by: ANN, at: at.toISOString() };
        const linked = { ...link, slackId: LEAD };
        return [
          replies.linkReply({ kind: 'linked', by: ANN, link, previous: link, displaced: link }),
          replies.linkReply({ kind: 'linked', by: ANN, link: linked }),
          replies.linkReply({ kind: 'unlinked', by: ANN, link }),
          replies.linkReply({ kind: 'not-linked', slackId: h }),
          replies.linkReply({ kind: 'forbidden', reason: 'not-admin', admins: [ANN, GROUP, h] }),
          replies.linkReply({ kind: 'forbidden', reason: 'self', admins: [] }),
          replies.linkReply({ kind: 'forbidden', reason: 'own-meta-user', admins: [ANN] }),
          replies.linkReply({ kind: 'unknown-meta-user', metaUserId: h }),
          replies.linkReply({ kind: 'fixed', metaUserId: h, slackId: h }),
          replies.linkReply({ kind: 'fixed', metaUserId: h, email: h }),
        ];
      },
    },
    unknownAccountMessage: {
      render: (h) => [replies.unknownAccountMessage({ kind: 'unknown-account', alias: h, aliases: [h] })],
    },
    accountListMessage: {
      render: (h) => {
        const accounts = Array.from({ length: 60 }, () => accountWith(h));
        return [
          replies.accountListMessage(accounts, accounts[0]!),
          replies.accountListMessage([accountWith(h)], accountWith(h)),
        ];
      },
    },
  },
  'blocks/home.ts': {
    requestsMessage: {
      render: (h) => [
        home.requestsMessage({ mine: requestsWith(h), toDecide: pendingWith(h) }),
        home.requestsMessage({ mine: [], toDecide: [] }),
      ],
    },
    homeView: {
      render: (h) => [
        home.homeView({ mine: requestsWith(h), toDecide: pendingWith(h) }, requestsWith(h)),
        home.homeView({ mine: [], toDecide: [] }, []),
      ],
    },
  },
  'blocks/modals.ts': {
    composeModal: {
      render: (h) => [
        modals.composeModal({ channelId: h }, { aliases: [h, `${h}2`, 'support'], defaultAlias: h }),
        modals.composeModal({ channelId: TEAM }),
      ],
      quiet: true,
    },
    denyModal: { render: (h) => [modals.denyModal(h)] },
    extendModal: {
      render: (h) => [modals.extendModal(h, later.toISOString()), modals.extendModal(h, h), modals.extendModal(h)],
    },
    refusalModal: {
      render: (h) => [
        modals.refusalModal(h.repeat(3), replies.forbiddenText('not-approver', [ANN, h])),
        modals.refusalModal('Deny request', format.mrkdwn`There is no account called ${format.code(h)}; ${h}.`),
      ],
    },
    FORM_NOT_OPENED_TEXT: { render: () => [modals.FORM_NOT_OPENED_TEXT], quiet: true },
  },
  'notifier.ts': {
    SlackNotifier: {
      render: async (h) => {
        const sent: unknown[] = [];
        for (const channel of [APPROVALS, undefined]) {
          const slack = new notifier.SlackNotifier(recordingClient(sent), lookupWith(h, channel));
          for (const r of pendingWith(h)) {
            await slack.announce(r);
            await slack.remind({ ...r, approvalMessages: [{ channel: APPROVALS, ts: '1.0' }] }, [ANN, BOB]);
            await slack.remind({ ...r, approvalMessages: [{ channel: 'D1', ts: '1.0' }] }, [ANN]);
          }
          for (const r of requestsWith(h))
            await slack.changed({ ...r, approvalMessages: [{ channel: APPROVALS, ts: '1' }] });
          for (const g of grantsWith(h)) {
            await slack.grantChanged(
              { ...g, conflictMessages: [{ channel: APPROVALS, ts: '2' }] },
              requestsWith(h)[8]!,
            );
            await slack.grantChanged(g, requestsWith(h)[8]!);
          }
        }
        return sent;
      },
    },
  },
  'blocks/outcomes.ts': {
    refusalWords: {
      render: (h) => refusalsWith(h).map((refusal) => replies.saidMessage(outcomes.refusalWords(refusal))),
    },
    retryRefusalText: {
      render: (h) => [
        outcomes.retryRefusalText({ kind: 'retry-window-passed', ttlMs: 3_600_000 }),
        outcomes.retryRefusalText({ kind: 'tasks-withdrawn', account: h, tasks: ['MESSAGING'], allowed: ['MANAGE'] }),
        outcomes.retryRefusalText({ kind: 'more-approvals-needed', needed: 2, had: 1 }),
      ],
    },
    formFieldError: {
      render: (h) =>
        (
          [
            { field: 'account', problem: { kind: 'unknown-account', alias: h, aliases: [h] } },
            { field: 'tasks', problem: { kind: 'no-tasks' } },
            { field: 'tasks', problem: { kind: 'tasks-on-revoke' } },
            { field: 'tasks', problem: { kind: 'not-requestable', account: h, tasks: ['MESSAGING'], allowed: [] } },
            { field: 'reason', problem: { kind: 'reason-required', account: h } },
          ] satisfies RuleProblem[]
        ).map((rule) => format.plain(outcomes.formFieldError(rule)?.text ?? '')),
    },
  },
  'command-grammar.ts': {
    parseCommand: {
      render: (h) =>
        [h, `grant ${h}`, `grant 1234 ${h}`, `grant 1234 MESSAGING for ${h}`, `list on ${h}`, `link ${h}`]
          .map(grammar.parseCommand)
          .flatMap((command) => (command.kind === 'invalid' ? [replies.saidMessage(command)] : [])),
      quiet: true,
    },
    USAGE: { render: () => Object.values(grammar.USAGE).map(format.plain), quiet: true },
    MAX_FILTER_LENGTH: { render: () => [format.mrkdwn`${grammar.MAX_FILTER_LENGTH}`], quiet: true },
  },
  'listeners/replies.ts': {
    clickReply: { render: (h) => decideResultsWith(h).map((result) => listenerReplies.clickReply(result) ?? '') },
    cancelReply: {
      render: (h) =>
        requestsWith(h).flatMap((r) =>
          (['done', 'not-requester', 'already'] as const)
            .map((kind) => listenerReplies.cancelReply({ kind, request: r }))
            .concat([
              listenerReplies.cancelReply({ kind: 'busy' }),
              listenerReplies.cancelReply({ kind: 'not-found' }),
            ]),
        ),
    },
    grantClickReply: {
      render: (h) => [
        listenerReplies.grantClickReply({ kind: 'forbidden', reason: 'not-approver', approverIds: [ANN, GROUP, h] }) ??
          '',
        listenerReplies.grantClickReply({ kind: 'not-live' }) ?? '',
        ...grantsWith(h).map((g) => listenerReplies.grantClickReply({ kind: 'ended', grant: g }) ?? ''),
      ],
    },
    failureReply: {
      render: (h) => [
        listenerReplies.failureReply(
          new GraphError({
            message: h,
            userMessage: h,
            fbtraceId: h,
            category: 'throttled',
            code: 80008,
            retryAt: later,
          }),
        ),
        listenerReplies.failureReply(new GraphError({ message: h, category: 'throttled', code: 4 })),
        listenerReplies.failureReply(new Error(h)),
      ],
    },
    tellUser: {
      render: async (h) => {
        const sent: unknown[] = [];
        const message = replies.problemMessage(format.plain(h), format.plain(h));
        await listenerReplies.tellUser(recordingClient(sent), LEAD, TEAM, message);
        await listenerReplies.tellUser(recordingClient(sent), LEAD, undefined, message);
        return sent;
      },
    },
  },
  'blocks/audit.ts': {
    auditFileComment: {
      render: (h) => [audit.auditFileComment(h, at.getTime(), 12), audit.auditFileComment(undefined, undefined, 0)],
    },
    auditReply: {
      render: (h) => [
        audit.auditReply({ kind: 'not-admin', admins: [ANN, GROUP, h], account: h }),
        audit.auditReply({ kind: 'not-admin', admins: [] }),
        audit.auditReply({ kind: 'busy' }),
        audit.auditReply({ kind: 'undelivered', error: Object.assign(new Error(h), { data: { error: h } }) }),
        audit.auditReply({ kind: 'undelivered', error: new Error(h) }),
        audit.auditReply({
          kind: 'exported',
          filename: h,
          entries: 1234,
          account: h,
          since: at.getTime(),
          truncated: { lastAt: at.toISOString(), limitBytes: 4 * 1024 * 1024 },
        }),
        audit.auditReply({
          kind: 'exported',
          filename: 'waba-audit-all.csv',
          entries: 0,
          truncated: { limitBytes: 1 },
        }),
      ],
    },
  },
  'listeners/people.ts': {
    resolvePerson: {
      render: async (h) => [await people.resolvePerson(depsFor(), { kind: 'handle', name: h })],
    },
    resolveUser: {
      render: async (h) => [
        await people.resolveUser(depsFor(), { kind: 'handle', name: h }),
        await people.resolveUser(depsFor(LEAD), { kind: 'handle', name: h }),
      ],
    },
  },
};

/** Listener deps where `@names` resolve to `slackId` (or nobody) and nobody is linked to a Meta user. */
function depsFor(slackId?: string): ListenerDeps {
  return {
    people: { idOf: async () => slackId },
    directory: { metaIdOf: async () => undefined, slackIdOf: async () => undefined },
  } as unknown as ListenerDeps;
}

/**
 * Modules of src/slack that draw no text of their own. Any other module is a surface: each of its exports needs a
 * fixture above, so a surface added later without one fails here.
 */
const NOT_SURFACES: Record<string, string> = {
  'blocks/types.ts': 'types only',
  'ids.ts': 'Slack ids the app registers',
  'limits.ts': 'constants',
  'bolt-logger.ts': 'logs, not Slack text',
  'connection.ts': 'the Slack connection at start; logs, not Slack text',
  'receiver.ts': 'hands verified requests to Bolt; HTTP statuses, not Slack text',
  'usergroups.ts': 'Slack API reads',
  'people.ts': 'Slack API reads',
  'listeners/index.ts': 'wiring',
  'listeners/deps.ts': 'types only',
  'listeners/yield.ts': 'scheduling',
  'listeners/actions.ts': 'sends the replies of listeners/replies.ts through kit.reply',
  'listeners/views.ts': 'sends submitReply and clickReply; form errors are plain text',
  'listeners/home.ts': 'publishes homeView and requestsMessage',
  'listeners/command.ts': 'sends the builders above; checked on random hostile text in command.fuzz.test.ts',
  'listeners/admission.ts': 'two fixed sentences',
  'link-announcer.ts': 'posts linkChangeMessage of blocks/links.ts',
  'command-limit.ts': 'counts commands; the answer is commandLimitMessage',
  'list-state.ts': 'button values, not text',
  'listeners/roster.ts': 'sends rosterPageMessage and problemMessage',
  'listeners/audit.ts': 'sends auditReply and auditFileComment of blocks/audit.ts',
};

const SLACK_DIR = joinPath(import.meta.dirname, '../../src/slack');

function modulesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = joinPath(dir, name);
    if (statSync(path).isDirectory()) return modulesOf(path);
    return name.endsWith('.ts') ? [relative(SLACK_DIR, path)] : [];
  });
}

const MODULES = modulesOf(SLACK_DIR).filter((path) => !(path in NOT_SURFACES));

/** The start of `h` as Slack should receive it, to tell that a surface shows the hostile text at all. */
function escapedStart(h: string): string {
  return h.slice(0, 12).split('|')[0]!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

describe('every surface, with hostile text in every foreign field', () => {
  it('has a fixture for every export of every module that draws text', async () => {
    const missing: string[] = [];
    for (const path of MODULES) {
      const exports = await import(joinPath(SLACK_DIR, path));
      for (const name of Object.keys(exports)) if (!FIXTURES[path]?.[name]) missing.push(`${path}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  for (const [path, fixtures] of Object.entries(FIXTURES)) {
    for (const [name, fixture] of Object.entries(fixtures)) {
      it.each(Object.entries(HOSTILE))(`${path} ${name}: %s`, async (_label, h) => {
        const outputs = await fixture.render(h);
        expect(outputs.length).toBeGreaterThan(0);
        const problems: string[] = [];
        const shown: string[] = [];
        for (const output of outputs) {
          const { mrkdwn, plain } = textsOf(output);
          shown.push(...mrkdwn);
          for (const text of mrkdwn) problems.push(...mrkdwnProblems(text, ALLOWED));
          for (const text of plain) if (/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text)) problems.push('ISO time in plain text');
          problems.push(...limitProblems(output));
        }
        expect([...new Set(problems)]).toEqual([]);
        if (!fixture.quiet) expect(shown.join('\n')).toContain(escapedStart(h));
      });
    }
  }
});

describe('the checks themselves', () => {
  it('catch what an unescaped surface would send', () => {
    expect(mrkdwnProblems('Reason: <https://evil.example|Approve here>', ALLOWED)).toHaveLength(1);
    expect(mrkdwnProblems('<!channel> <@U0ADMIN> <!subteam^S1> <#C0EVIL|x>', ALLOWED)).toHaveLength(4);
    expect(mrkdwnProblems('a & b', ALLOWED)).toHaveLength(1);
    expect(mrkdwnProblems('a &amp;amp; b &lt;', ALLOWED)).toEqual([]);
    expect(mrkdwnProblems('half a <@ULEAD', ALLOWED)).toHaveLength(1);
    expect(mrkdwnProblems('ends 2026-01-01T11:00:00.000Z', ALLOWED)).toHaveLength(1);
    expect(mrkdwnProblems('ends 2026-01-01 11:00 UTC', ALLOWED)).toHaveLength(1);
    expect(
      mrkdwnProblems(
        `<@ULEAD> <!subteam^SLEADS> <#CTEAM> <${PERMALINK}|Open> ${format.slackDate(later).text}`,
        ALLOWED,
      ),
    ).toEqual([]);
  });

  it('see every text of a message, a view and a reply', () => {
    const body = kit.message(format.mrkdwn`fallback`, [
      kit.section(format.mrkdwn`section`, kit.button('a', 'label', 'value')),
      kit.fields([format.mrkdwn`field`]),
      kit.context(format.mrkdwn`context`),
      kit.header('title'),
    ]);
    expect(textsOf(body)).toEqual({ mrkdwn: ['fallback', 'section', 'field', 'context'], plain: ['label', 'title'] });
    expect(textsOf({ response_type: 'ephemeral', text: 'reply' }).mrkdwn).toEqual(['reply']);
  });
});

describe('mrkdwn is made in one place', () => {
  it('builds every mrkdwn text object in blocks/kit.ts, from Mrkdwn only', () => {
    const elsewhere = modulesOf(SLACK_DIR)
      .filter((path) => path !== 'blocks/kit.ts')
      .filter((path) => /type: ['"]mrkdwn['"]/.test(readFileSync(joinPath(SLACK_DIR, path), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it('escapes every interpolated string, and keeps what the bot built', () => {
    const reason = '<!channel> & `x` ```';
    expect(format.mrkdwn`*Reason* ${reason} by ${format.mention(ANN)}`.text).toBe(
      '*Reason* &lt;!channel&gt; &amp; ˋxˋ ˋˋˋ by <@UANN>',
    );
    expect(format.mrkdwn`${format.mrkdwn`${reason}`}`.text).toBe(format.plain(reason).text);
  });

  it('names only Slack ids as mentions and channels', () => {
    expect(format.mention('U0LEAD').text).toBe('<@U0LEAD>');
    expect(format.mention('S0GROUP').text).toBe('<!subteam^S0GROUP>');
    expect(format.mention('U1><!channel').text).toBe('`U1&gt;&lt;!channel`');
    expect(format.mention('system').text).toBe('the bot');
    expect(format.channel('C0TEAM').text).toBe('<#C0TEAM>');
    expect(format.channel('C1|x><!here').text).toBe('`C1|x&gt;&lt;!here`');
  });

  it('clips without leaving half an entity or half a token', () => {
    const text = format.mrkdwn`ab ${'<'} ${format.mention(ANN)}`;
    expect(text.text).toBe('ab &lt; <@UANN>');
    expect(format.clip(text, 6).text).toBe('ab …');
    expect(format.clip(text, 12).text).toBe('ab &lt; …');
    expect(format.clip(text, 15)).toBe(text);
    expect(format.clipPlain('😀😀', 2)).toBe('…');
  });

  it('writes dates for the reader’s time zone, with a fallback, and shows a broken one as text', () => {
    expect(format.slackDate(later).text).toBe(
      `<!date^${later.getTime() / 1000}^{date_short_pretty} at {time}|2026-01-01 11:00 UTC>`,
    );
    expect(format.slackDate('<!channel>').text).toBe('&lt;!channel&gt;');
  });
});
