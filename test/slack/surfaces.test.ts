import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join as joinPath, relative } from 'node:path';
import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { type Account, type AccountLookup, accountPolicy } from '../../src/access/accounts.js';
import type { DriftDigest, DriftRow } from '../../src/access/drift.js';
import type { DriftActionResult, PersonHistory, WhoResult } from '../../src/access/drift-service.js';
import type { TemporaryGrant } from '../../src/access/grants.js';
import type { RuleProblem, SubmitRefusal } from '../../src/access/outcomes.js';
import {
  type AccessRequest,
  approve,
  cancel,
  deny,
  type Executing,
  type ExecutionError,
  expire,
  expireUnretried,
  fail,
  type Pending,
  startExecution,
  succeed,
} from '../../src/access/request.js';
import type { Review, ReviewPage, ReviewRefusal, ReviewRow } from '../../src/access/review.js';
import { rosterPage } from '../../src/access/roster-view.js';
import type { DecideResult } from '../../src/access/service.js';
import { GraphError } from '../../src/graph/errors.js';
import * as accountBlocks from '../../src/slack/blocks/accounts.js';
import * as audit from '../../src/slack/blocks/audit.js';
import * as breakGlass from '../../src/slack/blocks/break-glass.js';
import * as driftBlocks from '../../src/slack/blocks/drift.js';
import * as grantNotices from '../../src/slack/blocks/grant-notices.js';
import * as home from '../../src/slack/blocks/home.js';
import * as kit from '../../src/slack/blocks/kit.js';
import * as links from '../../src/slack/blocks/links.js';
import * as modals from '../../src/slack/blocks/modals.js';
import * as outcomes from '../../src/slack/blocks/outcomes.js';
import * as replies from '../../src/slack/blocks/replies.js';
import * as request from '../../src/slack/blocks/request.js';
import * as review from '../../src/slack/blocks/review.js';
import * as rosterBlocks from '../../src/slack/blocks/roster.js';
import * as grammar from '../../src/slack/command-grammar.js';
import * as commands from '../../src/slack/commands.js';
import * as driftNotifier from '../../src/slack/drift-notifier.js';
import * as format from '../../src/slack/format.js';
import type { ListenerDeps } from '../../src/slack/listeners/deps.js';
import * as people from '../../src/slack/listeners/people.js';
import * as listenerReplies from '../../src/slack/listeners/replies.js';
import * as notifier from '../../src/slack/notifier.js';
import * as reviewNotifier from '../../src/slack/review-notifier.js';
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
const HOUR = 3_600_000;

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
    fail(executing, later, { message: h, category: 'invalid', reason: 'extension-too-long', maxMs: 86_400_000 }, HOUR),
    fail(executing, later, { message: h, category: 'unknown', reason: 'unexpected' }, HOUR),
    succeed({ ...executing, kind: 'extend' }, later, ['MESSAGING']),
    fail(executing, later, error, HOUR),
    fail(executing, later, { message: h, category: 'throttled', code: 80008, retryAt: later.toISOString() }, HOUR),
    fail(executing, later, { message: h, category: 'throttled' }, HOUR),
    fail(executing, later, { message: h, category: 'permission' }, HOUR),
    fail(executing, later, { message: h, category: 'not_found' }, HOUR),
    fail(executing, later, { message: h, category: 'unknown' }, HOUR),
    deny(pending, BOB, later, h),
    expire(pending, later),
    cancel(pending, LEAD, later),
    ...unretriedWith(h, executing),
  ];
}

/** Failures nobody retried in time, expired: Meta's words, and the bot's own reason. */
function unretriedWith(h: string, executing: Executing): AccessRequest[] {
  const error: ExecutionError = { message: h, userMessage: h, fbtraceId: h, category: 'permission', code: 200 };
  const own: ExecutionError = { message: h, category: 'unknown', reason: 'unexpected' };
  const closed = new Date(later.getTime() + HOUR);
  return [error, own].map((e) => expireUnretried(fail(executing, later, e, HOUR), closed, HOUR));
}

/** Break-glass uses in the states a surface shows them, unreviewed and reviewed both ways. */
function emergenciesWith(h: string): AccessRequest[] {
  const [, , , , , , , executing, succeeded, , , , , , failed] = requestsWith(h);
  const [unretried] = unretriedWith(h, executing as Executing);
  return [executing!, succeeded!, failed!, unretried!].flatMap((r) => [
    { ...r, emergency: {} },
    { ...r, emergency: { review: { by: ANN, at: at.toISOString(), verdict: 'looks-right' as const } } },
    { ...r, emergency: { review: { by: h, at: h, verdict: 'revoked' as const }, remindedAt: at.toISOString() } },
  ]);
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

/** Meta's throttling, with hostile text in every field it carries and a time to try again. */
function throttledWith(h: string): GraphError {
  return new GraphError({
    message: h,
    userMessage: h,
    fbtraceId: h,
    category: 'throttled',
    code: 80008,
    retryAt: later,
  });
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
    { kind: 'no-reviewer', account: h },
    { kind: 'not-break-glass', account: h, people: [ANN, GROUP, h] },
    { kind: 'not-break-glass', account: h, people: [] },
    { kind: 'break-glass-tasks', account: h, tasks: ['FULL_CONTROL'], allowed: ['MESSAGING'] },
    { kind: 'break-glass-tasks', account: h, tasks: ['FULL_CONTROL'], allowed: [] },
    { kind: 'break-glass-too-long', askedMs: 9 * 3_600_000, maxMs: 3_600_000 },
    { kind: 'break-glass-too-long', maxMs: 5_400_000 },
    { kind: 'break-glass-reason' },
    { kind: 'break-glass-revoke' },
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

/** Review rows in every state, with hostile text in every foreign field. */
function reviewRowsWith(h: string): ReviewRow[] {
  const row: ReviewRow = { userId: h, name: h, userType: h, tasks: ['MESSAGING'] };
  const by = { by: ANN, at: at.toISOString() };
  const ends = later.toISOString();
  const throttled: ExecutionError = {
    message: h,
    userMessage: h,
    fbtraceId: h,
    category: 'throttled',
    code: 80008,
    retryAt: ends,
  };
  return [
    row,
    { ...row, name: '', userType: undefined as unknown as string },
    { ...row, decision: { kind: 'keep', ...by } },
    ...(['removing', 'removed', 'gone'] as const).map(
      (status): ReviewRow => ({ ...row, decision: { kind: 'remove', ...by, requestId: h, status } }),
    ),
    ...(['applying', 'applied', 'gone'] as const).map(
      (status): ReviewRow => ({ ...row, decision: { kind: 'temporary', ...by, requestId: h, endsAt: ends, status } }),
    ),
    { ...row, failure: { choice: 'remove', by: BOB, at: ends, error: throttled } },
    {
      ...row,
      failure: {
        choice: 'temporary',
        by: h,
        at: ends,
        error: { message: h, category: 'unknown', reason: 'unexpected' },
      },
    },
  ];
}

/** A review open and closed, with hostile text in every foreign field, and a page of every kind of row. */
function reviewsWith(h: string): Array<{ review: Review; page: ReviewPage }> {
  const open: Review = {
    id: h,
    wabaId: h,
    accountAlias: h,
    startedBy: h,
    startedAt: at.toISOString(),
    readAt: at.toISOString(),
    total: 10_000,
    pages: 1_000,
    state: 'open',
    decidedByPage: [3, 10],
    working: [{ page: 1, index: 2, requestId: h, since: at.toISOString() }],
    reviewers: [ANN, h],
    messages: [{ channel: APPROVALS, ts: '1.0', page: 1 }],
    updatedAt: at.toISOString(),
  };
  const closed: Review = { ...open, state: 'closed', closedAt: later.toISOString(), startedBy: 'system', working: [] };
  const page = (number: number): ReviewPage => ({ reviewId: h, page: number, rows: reviewRowsWith(h) });
  return [
    { review: open, page: page(0) },
    { review: open, page: page(999) },
    { review: { ...open, pages: 1, total: 11 }, page: page(0) },
    { review: closed, page: page(4) },
    { review: { ...closed, abandoned: h }, page: page(0) },
  ];
}

function reviewRefusalsWith(h: string): ReviewRefusal[] {
  const { review: shown } = reviewsWith(h)[0]!;
  return [
    { kind: 'not-found' },
    { kind: 'closed', review: shown },
    ...reviewRowsWith(h).map((row): ReviewRefusal => ({ kind: 'already', review: shown, row })),
    { kind: 'stale', review: shown },
    { kind: 'forbidden', reason: 'not-approver', approverIds: [ANN, GROUP, h] },
    { kind: 'forbidden', reason: 'own-row', approverIds: [ANN] },
    { kind: 'unconfigured', review: shown },
    { kind: 'too-long', askedMs: 90 * 86_400_000, maxMs: 30 * 86_400_000 },
    { kind: 'too-short', askedMs: 1_000, minMs: 60_000 },
    { kind: 'busy' },
  ];
}

/** Drift digest rows of every kind and in every state, with hostile text in every foreign field. */
function driftRowsWith(h: string): DriftRow[] {
  const base: DriftRow = {
    userId: h,
    name: h,
    slackId: h,
    kind: 'changed',
    expected: ['MANAGE', 'MESSAGING'],
    found: ['MESSAGING', 'VIEW_COST'],
    grantIds: [h],
    status: 'open',
  };
  const by = { by: ANN, at: at.toISOString() };
  return [
    base,
    { ...base, kind: 'added', expected: null, slackId: LEAD },
    { ...base, kind: 'removed', found: null },
    { ...base, kind: 'grant-ended', found: ['MANAGE'] },
    { ...base, error: h, ...by },
    { ...base, status: 'acting', leaseUntil: later.toISOString(), ...by },
    { ...base, status: 'accepted', ...by },
    { ...base, status: 'reverted', ...by },
    { ...base, status: 'reverted', alreadyDone: true, ...by },
    { ...base, status: 'temporary', until: later.toISOString(), grantId: h, ...by },
    { ...base, status: 'superseded', now: ['MANAGE'], ...by },
  ];
}

function digestWith(h: string, copies = 1): DriftDigest {
  return {
    id: h,
    wabaId: h,
    alias: h,
    readAt: later.toISOString(),
    comparedWith: at.toISOString(),
    createdAt: later.toISOString(),
    rows: Array.from({ length: copies }, () => driftRowsWith(h)).flat(),
    omitted: 3,
    messages: [
      { channel: APPROVALS, ts: '1.0', page: 0 },
      { channel: APPROVALS, ts: '2.0', page: 2 },
    ],
  };
}

function driftResultsWith(h: string): DriftActionResult[] {
  const [row] = driftRowsWith(h);
  return [
    { kind: 'done', row: row!, digest: digestWith(h) },
    { kind: 'not-found' },
    { kind: 'unconfigured', wabaId: h },
    { kind: 'forbidden', reason: 'not-approver', approverIds: [ANN, GROUP, h] },
    { kind: 'forbidden', reason: 'beneficiary', approverIds: [ANN] },
    { kind: 'forbidden', reason: 'requester', approverIds: [ANN] },
    ...driftRowsWith(h).map((each): DriftActionResult => ({ kind: 'already', row: each })),
    { kind: 'busy', row: { ...row!, by: ANN } },
    { kind: 'busy' },
    { kind: 'superseded', row: { ...row!, now: null } },
    { kind: 'nothing-to-keep' },
    { kind: 'too-long', maxMs: 86_400_000 },
    { kind: 'too-short', minMs: 60_000 },
    { kind: 'failed', error: { message: h, userMessage: h, category: 'throttled' } },
  ];
}

function historyWith(h: string): PersonHistory[] {
  const history: PersonHistory = {
    alias: h,
    userId: h,
    name: h,
    start: { day: '2026-01-01', tasks: ['MANAGE'] },
    now: { tasks: null, readAt: later.toISOString() },
    events: [
      {
        kind: 'write',
        at: at.toISOString(),
        writeId: h,
        phase: 'intent',
        tasks: ['MANAGE'],
        cause: `request:${h}`,
        outcome: 'done',
      },
      {
        kind: 'write',
        at: at.toISOString(),
        writeId: h,
        phase: 'intent',
        tasks: null,
        cause: 'request:r2',
        outcome: 'unknown',
      },
      {
        kind: 'write',
        at: at.toISOString(),
        writeId: h,
        phase: 'intent',
        tasks: null,
        cause: `drift:${h}`,
        outcome: 'under-way',
      },
      {
        kind: 'write',
        at: at.toISOString(),
        writeId: h,
        phase: 'intent',
        tasks: null,
        cause: 'request:r3',
        outcome: 'done',
      },
      {
        kind: 'drift',
        at: at.toISOString(),
        digestId: h,
        change: 'added',
        expected: null,
        found: ['MESSAGING'],
        readAt: at.toISOString(),
      },
      ...(['accepted', 'reverted', 'temporary'] as const).map((action) => ({
        kind: 'drift-action' as const,
        at: at.toISOString(),
        digestId: h,
        action,
        actor: ANN,
        tasks: ['MANAGE' as const],
        until: later.toISOString(),
      })),
    ],
    earlier: 4,
    requests: new Map([
      [h, { requesterId: LEAD, approverIds: [ANN, BOB] }],
      ['r3', { requesterId: ANN, approverIds: [ANN] }],
    ]),
    firstDay: '2026-01-01',
    keepDays: 400,
  };
  return [history, { ...history, start: undefined, events: [], now: undefined, name: undefined }];
}

function whoWith(h: string): WhoResult[] {
  const record = { day: '2026-01-01', firstReadAt: at.toISOString(), lastReadAt: later.toISOString(), end: h, held: h };
  const held = Array.from({ length: 2_000 }, (_, i) => ({ id: `${i}${h}`, name: h, tasks: ['MESSAGING' as const] }));
  return [
    { kind: 'day', alias: h, day: '2026-01-01', record, carried: false, held, goneBy: new Set([held[0]!.id]) },
    { kind: 'day', alias: h, day: '2026-01-02', record, carried: true, held: held.slice(0, 3), goneBy: new Set() },
    { kind: 'day', alias: h, day: '2026-01-01', record, carried: false, held: [], goneBy: new Set() },
    { kind: 'future', alias: h, day: h, today: '2026-01-01' },
    { kind: 'before-history', alias: h, day: h, first: '2026-01-01', keepDays: 400 },
    { kind: 'before-history', alias: h, day: h, first: null, keepDays: 400 },
  ];
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
    slackDay: { render: (h) => [format.slackDay(h), format.slackDay('2026-11-01')] },
    taskList: { render: (h) => [format.taskList([h, 'MESSAGING']), format.taskList(null)] },
    join: { render: (h) => [format.join([format.plain(h), format.mention(ANN)], ', ')] },
    withoutBold: { render: (h) => [format.withoutBold(format.mrkdwn`*${h}*`), format.plain(h)] },
    plural: { render: (h) => [format.mrkdwn`${format.plural(1, h)}, ${format.plural(3, h)}`] },
    someOf: {
      render: (h) => [
        format.someOf([format.plain(h), format.mention(ANN)]),
        format.someOf(Array.from({ length: 12 }, () => format.plain(h))),
      ],
    },
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
    modal: {
      render: (h) => [
        kit.modal({ title: h, submit: h, close: h, blocks: [kit.section(format.plain(h))] }),
        kit.modal({ callbackId: h, privateMetadata: h, title: h, close: h, blocks: [kit.section(format.plain(h))] }),
      ],
    },
  },
  'blocks/links.ts': {
    linkReply: {
      render: (h) => {
        const link = { slackId: h, metaUserId: h, by: ANN, at: at.toISOString() };
        const linked = { ...link, slackId: LEAD };
        return [
          links.linkReply({ kind: 'linked', by: ANN, link, previous: link, displaced: link }),
          links.linkReply({ kind: 'linked', by: ANN, link: linked }),
          links.linkReply({ kind: 'unlinked', by: ANN, link }),
          links.linkReply({ kind: 'not-linked', slackId: h }),
          links.linkReply({ kind: 'forbidden', reason: 'not-admin', admins: [ANN, GROUP, h] }),
          links.linkReply({ kind: 'forbidden', reason: 'self', admins: [] }),
          links.linkReply({ kind: 'forbidden', reason: 'own-meta-user', admins: [ANN] }),
          links.linkReply({ kind: 'unknown-meta-user', metaUserId: h }),
          links.linkReply({ kind: 'fixed', metaUserId: h, slackId: h }),
          links.linkReply({ kind: 'fixed', metaUserId: h, email: h }),
        ];
      },
    },
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
    userField: { render: (h) => requestsWith(h).map((r) => kit.section(request.userField(r, undefined))) },
    grantButtons: { render: (h) => grantsWith(h).map((g) => request.grantButtons(g)), quiet: true },
    retryButton: { render: (h) => requestsWith(h).map((r) => request.retryButton(r)), quiet: true },
    requestAgainButton: {
      render: (h) => requestsWith(h).flatMap((r) => request.requestAgainButton(r) ?? []),
      quiet: true,
    },
    requestAgainElement: {
      render: (h) =>
        requestsWith(h).flatMap((r) => {
          const again = request.requestAgainElement(r);
          return again ? [kit.actions('again', [again])] : [];
        }),
      quiet: true,
    },
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
    commandLimitMessage: { render: () => [replies.commandLimitMessage(20, 35_000)], quiet: true },
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
        replies.activeGrantsMessage(Array.from({ length: 100 }, () => grantsWith(h)).flat(), undefined, new Set([h])),
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
    unknownAccountMessage: {
      render: (h) => [replies.unknownAccountMessage({ kind: 'unknown-account', alias: h, aliases: [h] })],
    },
  },
  'blocks/roster.ts': {
    rosterPageMessage: {
      render: (h) => {
        const roster = {
          users: Array.from({ length: 300 }, (_, i) => ({ id: `${i}`, name: h, user_type: h, tasks: [h] })),
          readAt: at.toISOString(),
        };
        const account = accountWith(h, 'support').policy;
        const read = { kind: 'read' } as const;
        return [
          rosterBlocks.rosterPageMessage(rosterPage(roster, undefined), { account, source: read }),
          rosterBlocks.rosterPageMessage(rosterPage(roster, { kind: 'text', text: h }), {
            account,
            filter: { kind: 'text', text: h },
            source: { kind: 'held', until: later.getTime() },
          }),
          rosterBlocks.rosterPageMessage(
            rosterPage({ users: [], readAt: at.toISOString() }, { kind: 'user', userId: h }),
            {
              account,
              filter: { kind: 'user', userId: h },
              person: LEAD,
              source: read,
            },
          ),
        ];
      },
    },
  },
  'blocks/accounts.ts': {
    budgetLine: {
      render: (h) => [
        kit.section(accountBlocks.budgetLine(undefined)),
        kit.section(
          accountBlocks.budgetLine({
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
        accountBlocks.accountsMessage(
          h,
          Array.from({ length: 300 }, () => ({ id: h, name: h, status: h, permissions: [h] })),
        ),
        accountBlocks.accountsMessage(h, []),
      ],
    },
    accountListMessage: {
      render: (h) => {
        const accounts = Array.from({ length: 60 }, () => accountWith(h));
        return [
          accountBlocks.accountListMessage(accounts, accounts[0]!),
          accountBlocks.accountListMessage([accountWith(h)], accountWith(h)),
          accountBlocks.accountListMessage(
            [
              {
                ...accountWith(h),
                policy: { ...accountWith(h).policy, breakGlass: { people: [LEAD, h], tasks: [], maxMs: 3_600_000 } },
              },
            ],
            accountWith(h),
          ),
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
        home.homeView({ mine: requestsWith(h), toDecide: pendingWith(h) }, requestsWith(h), grantsWith(h)),
        home.homeView({ mine: [], toDecide: [] }, []),
      ],
    },
  },
  'blocks/grant-notices.ts': {
    doneElement: { render: (h) => [kit.actions('x', [grantNotices.doneElement(h)])], quiet: true },
    endingSoonMessage: {
      render: (h) => grantsWith(h).flatMap((g) => requestsWith(h).map((r) => grantNotices.endingSoonMessage(g, r))),
    },
    doneNotice: {
      render: (h) =>
        grantsWith(h).map((g) =>
          grantNotices.doneNotice({ ...g, earlyEnd: 'done', endedBy: LEAD }, requestsWith(h)[8]!),
        ),
    },
  },
  'blocks/break-glass.ts': {
    reviewWords: {
      render: (h) =>
        emergenciesWith(h).flatMap((r) =>
          r.emergency?.review ? [kit.section(breakGlass.reviewWords(r.emergency.review))] : [],
        ),
    },
    emergencyMessage: {
      render: (h) => [
        ...emergenciesWith(h).map((r) => breakGlass.emergencyMessage(r)),
        ...emergenciesWith(h).flatMap((r) => grantsWith(h).map((g) => breakGlass.emergencyMessage(r, g))),
        breakGlass.emergencyMessage(emergenciesWith(h)[3]!, undefined, { kind: 'no-longer-linked', slackId: LEAD }),
      ],
    },
    reviewedNotice: { render: (h) => emergenciesWith(h).map((r) => breakGlass.reviewedNotice(r)) },
    reviewReminderMessage: {
      render: (h) =>
        emergenciesWith(h).flatMap((r) => [
          breakGlass.reviewReminderMessage(r, PERMALINK),
          breakGlass.reviewReminderMessage(r, undefined),
        ]),
    },
    breakGlassReply: {
      render: (h) => [
        ...emergenciesWith(h).map((r) => breakGlass.breakGlassReply({ kind: 'carried-out', request: r })),
        ...grantsWith(h).map((g) =>
          breakGlass.breakGlassReply({ kind: 'carried-out', request: emergenciesWith(h)[3]!, grant: g }),
        ),
        ...refusalsWith(h).map((refusal) => breakGlass.breakGlassReply(refusal)),
      ],
    },
  },
  'blocks/modals.ts': {
    composeModal: {
      render: (h) => [
        modals.composeModal({ channelId: h }, { aliases: [h, `${h}2`, 'support'], defaultAlias: h }),
        modals.composeModal({ channelId: TEAM }),
        modals.composeModal(
          { channelId: TEAM },
          { aliases: [h, 'support'], defaultAlias: 'support' },
          {
            prefill: {
              kind: 'grant',
              account: h,
              userId: h,
              person: LEAD,
              tasks: ['MESSAGING'],
              durationMs: 5_400_000,
              reason: h,
            },
            emergency: true,
          },
        ),
        modals.composeModal({ channelId: TEAM }, undefined, {
          prefill: { kind: 'revoke', userId: h, tasks: [], reason: h.repeat(20) },
        }),
      ],
      quiet: true,
    },
    denyModal: { render: (h) => [modals.denyModal(h)] },
    extendModal: {
      render: (h) => [modals.extendModal(h, later.toISOString()), modals.extendModal(h, h), modals.extendModal(h)],
    },
    durationInput: {
      // Its label, hint and placeholder are the bot's own words; the initial value is a formatted duration.
      render: () => [
        modals.durationInput({ label: 'For how long?', placeholder: '1d' }),
        modals.durationInput({
          label: 'For how long?',
          placeholder: '4h',
          optional: true,
          hint: 'Empty: default.',
          initial: '2d',
        }),
      ],
      quiet: true,
    },
    refusalModal: {
      render: (h) => [
        modals.refusalModal(h.repeat(3), replies.forbiddenText('not-approver', [ANN, h])),
        modals.refusalModal('Deny request', format.mrkdwn`There is no account called ${format.code(h)}; ${h}.`),
      ],
    },
    FORM_NOT_OPENED_TEXT: { render: () => [modals.FORM_NOT_OPENED_TEXT], quiet: true },
    DURATION_HINT: { render: () => [modals.DURATION_HINT], quiet: true },
    DURATION_ERROR: { render: () => [modals.DURATION_ERROR], quiet: true },
    COMPOSE_DURATION_ERROR: { render: () => [modals.COMPOSE_DURATION_ERROR], quiet: true },
  },
  'blocks/review.ts': {
    progressText: { render: (h) => reviewsWith(h).map(({ review: shown }) => review.progressText(shown)) },
    rowStatus: { render: (h) => reviewRowsWith(h).map((row) => review.rowStatus(row) ?? '') },
    reviewMessage: {
      render: (h) => reviewsWith(h).map(({ review: shown, page }) => review.reviewMessage(shown, page)),
    },
    reviewSummaryMessage: {
      render: (h) => {
        const rows = reviewRowsWith(h);
        const many = Array.from({ length: 40 }, () => rows).flat();
        return reviewsWith(h).flatMap(({ review: shown }) => [
          review.reviewSummaryMessage(shown, { kept: 3, removed: many, gone: rows, temporary: many }),
          review.reviewSummaryMessage({ ...shown, reviewers: [] }, { kept: 0, removed: [], gone: [], temporary: [] }),
        ]);
      },
    },
    reviewReminderMessage: {
      render: (h) =>
        reviewsWith(h).flatMap(({ review: shown }) => [
          review.reviewReminderMessage(shown, PERMALINK),
          review.reviewReminderMessage(shown, undefined),
        ]),
    },
    reviewStartReply: {
      render: (h) => {
        const { review: shown } = reviewsWith(h)[0]!;
        const inDms = { ...shown, messages: [{ channel: 'D0ANN', ts: '1', page: 0 }] };
        return [
          review.reviewStartReply({ kind: 'started', review: shown }),
          review.reviewStartReply({ kind: 'started', review: inDms }),
          review.reviewStartReply({ kind: 'already-open', review: shown }, PERMALINK),
          review.reviewStartReply({ kind: 'already-open', review: inDms }),
          review.reviewStartReply({ kind: 'forbidden', who: [ANN, GROUP, h] }),
          review.reviewStartReply({ kind: 'empty', account: h }),
          review.reviewStartReply({ kind: 'busy' }),
          review.reviewStartReply({ kind: 'not-posted' }),
          review.reviewStartReply({ kind: 'unknown-account', alias: h, aliases: [h, 'support'] }),
        ];
      },
    },
    reviewClickReply: {
      render: (h) => [
        review.reviewClickReply({ kind: 'decided', review: reviewsWith(h)[0]!.review, row: reviewRowsWith(h)[0]! }) ??
          '',
        ...reviewRefusalsWith(h).map((refusal) => review.reviewClickReply(refusal) ?? ''),
      ],
    },
    temporaryModal: {
      render: (h) => {
        const ref = { reviewId: h, page: 1, index: 2, userId: h };
        return [
          review.temporaryModal(ref),
          ...reviewRowsWith(h).map((row) => review.temporaryModal(ref, { row, minMs: 60_000, maxMs: 30 * 86_400_000 })),
        ];
      },
    },
  },
  'review-notifier.ts': {
    SlackReviewNotifier: {
      render: async (h) => {
        const sent: unknown[] = [];
        for (const channel of [APPROVALS, undefined]) {
          const slack = new reviewNotifier.SlackReviewNotifier(recordingClient(sent), lookupWith(h, channel));
          for (const { review: shown, page } of reviewsWith(h)) {
            await slack.post(shown, page);
            await slack.show(shown, [{ message: shown.messages[0]!, page }]);
            await slack.remind(shown, [ANN, BOB]);
            await slack.remind({ ...shown, messages: [{ channel: 'D1', ts: '1', page: 0 }] }, [ANN]);
            const rows = reviewRowsWith(h);
            await slack.closed(shown, { kept: 1, removed: rows, gone: rows, temporary: rows });
          }
        }
        return sent;
      },
    },
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
            await slack.grantChanged({ ...g, earlyEnd: 'done', endedBy: LEAD }, requestsWith(h)[8]!);
            await slack.grantEndingSoon(g, requestsWith(h)[8]!, [LEAD, ANN]);
          }
          for (const r of emergenciesWith(h)) {
            const announced = { ...r, approvalMessages: await slack.announceEmergency(r) };
            await slack.changed(announced, grantsWith(h)[0]);
            await slack.emergencyReviewed(announced, grantsWith(h)[2]);
            await slack.remindReview(announced, [ANN, BOB]);
          }
        }
        return sent;
      },
    },
  },
  'blocks/drift.ts': {
    DIGEST_ROWS_PER_PAGE: { render: () => [format.mrkdwn`${driftBlocks.DIGEST_ROWS_PER_PAGE}`], quiet: true },
    rowValue: {
      render: (h) => [kit.actions('x', [kit.button('a', 'Accept', driftBlocks.rowValue({ digestId: h, index: 3 }))])],
      quiet: true,
    },
    parseRowValue: {
      render: (h) => [format.plain(JSON.stringify(driftBlocks.parseRowValue(h) ?? driftBlocks.parseRowValue('a-1:2')))],
      quiet: true,
    },
    changeText: { render: each(driftRowsWith, (row) => driftBlocks.changeText(row)) },
    rowOutcome: { render: each(driftRowsWith, (row) => driftBlocks.rowOutcome(row) ?? '') },
    pageCount: { render: (h) => [format.mrkdwn`${driftBlocks.pageCount(digestWith(h, 5))}`], quiet: true },
    digestMessage: {
      render: (h) => [0, 1, 2, 9].map((page) => driftBlocks.digestMessage(digestWith(h, 5), page)),
    },
    parseTemporaryMetadata: {
      render: (h) => [format.plain(JSON.stringify(driftBlocks.parseTemporaryMetadata(h) ?? {}))],
      quiet: true,
    },
    temporaryModal: {
      render: (h) => [
        driftBlocks.temporaryModal({ digestId: h, index: 1, channelId: h }),
        ...driftRowsWith(h).map((row) =>
          driftBlocks.temporaryModal({ digestId: h, index: 1 }, { row, maxMs: 86_400_000 }),
        ),
      ],
    },
    driftClickReply: { render: each(driftResultsWith, (result) => driftBlocks.driftClickReply(result) ?? '') },
    historyMessage: {
      render: (h) =>
        historyWith(h).flatMap((history) => [
          driftBlocks.historyMessage(history, LEAD),
          driftBlocks.historyMessage(history),
        ]),
    },
    whoMessage: { render: each(whoWith, (result) => driftBlocks.whoMessage(result)) },
  },
  'drift-notifier.ts': {
    SlackDriftNotifier: {
      render: async (h) => {
        const sent: unknown[] = [];
        for (const channel of [APPROVALS, undefined]) {
          const slack = new driftNotifier.SlackDriftNotifier(recordingClient(sent), lookupWith(h, channel));
          await slack.post(digestWith(h, 3));
          await slack.update(digestWith(h, 3));
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
        outcomes.retryRefusalText({ kind: 'retry-window-passed', until: later.toISOString() }),
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
            { field: 'duration', problem: { kind: 'permanent-off', maxMs: 3_600_000 } },
            { field: 'duration', problem: { kind: 'too-long', askedMs: 9 * 3_600_000, maxMs: 3_600_000 } },
            { field: 'duration', problem: { kind: 'too-short', askedMs: 1_000, minMs: 60_000 } },
            { field: 'requester', problem: { kind: 'not-break-glass', account: h, people: [h] } },
            { field: 'tasks', problem: { kind: 'break-glass-tasks', account: h, tasks: ['MANAGE'], allowed: [] } },
            { field: 'duration', problem: { kind: 'break-glass-too-long', maxMs: 3_600_000 } },
            { field: 'reason', problem: { kind: 'break-glass-reason' } },
            { field: 'emergency', problem: { kind: 'break-glass-revoke' } },
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
  },
  'commands.ts': {
    USAGE: { render: () => Object.values(commands.USAGE).map(format.plain), quiet: true },
    MAX_FILTER_LENGTH: { render: () => [format.mrkdwn`${commands.MAX_FILTER_LENGTH}`], quiet: true },
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
    doneReply: {
      render: (h) => [
        ...grantsWith(h).map((g) => listenerReplies.doneReply({ kind: 'ended', grant: g })),
        ...grantsWith(h).map((g) => listenerReplies.doneReply({ kind: 'conflict', grant: g })),
        ...grantsWith(h).map((g) => listenerReplies.doneReply({ kind: 'not-yours', grant: g })),
        listenerReplies.doneReply({ kind: 'not-live' }),
      ],
      quiet: true,
    },
    reviewClickReply: {
      render: (h) =>
        emergenciesWith(h).flatMap((r) =>
          [
            listenerReplies.reviewClickReply({ kind: 'reviewed', request: r }),
            listenerReplies.reviewClickReply({
              kind: 'already-reviewed',
              request: r,
              review: { by: h, at: h, verdict: 'revoked' },
            }),
            ...(['own-request', 'beneficiary', 'not-approver'] as const).map((reason) =>
              listenerReplies.reviewClickReply({ kind: 'forbidden', reason, request: r, approverIds: [ANN, GROUP, h] }),
            ),
            listenerReplies.reviewClickReply({ kind: 'unconfigured', request: r }),
            listenerReplies.reviewClickReply({ kind: 'not-found' }),
            listenerReplies.reviewClickReply({ kind: 'busy' }),
          ].map((text) => text ?? ''),
        ),
    },
    failureReply: {
      render: (h) => [
        listenerReplies.failureReply(throttledWith(h)),
        listenerReplies.failureReply(new GraphError({ message: h, category: 'throttled', code: 4 })),
        listenerReplies.failureReply(new Error(h)),
      ],
    },
    clickFailedReply: {
      render: (h) => [
        listenerReplies.clickFailedReply(throttledWith(h)),
        listenerReplies.clickFailedReply(new Error(h)),
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
    answerClick: {
      render: async (h) => {
        const sent: unknown[] = [];
        const click = (responseUrl?: string) =>
          ({
            body: { user: { id: LEAD }, channel: { id: TEAM }, ...(responseUrl ? { response_url: responseUrl } : {}) },
            client: recordingClient(sent),
            respond: async (message: unknown) => sent.push(message),
          }) as unknown as listenerReplies.ButtonArgs;
        await listenerReplies.answerClick(click('https://hooks.slack.com/actions/T/1/x'), format.plain(h));
        await listenerReplies.answerClick(click(), replies.problemMessage(format.plain(h), format.plain(h)));
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
  'socket-mode.ts': 'keeps the Socket Mode connection open; logs, not Slack text',
  'usergroups.ts': 'Slack API reads',
  'people.ts': 'Slack API reads',
  'listeners/index.ts': 'wiring',
  'listeners/router.ts': 'sends clickFailedReply of listeners/replies.ts',
  'listeners/deps.ts': 'types only',
  'listeners/yield.ts': 'scheduling',
  'listeners/actions.ts': 'sends the replies of listeners/replies.ts through kit.reply',
  'listeners/drift.ts': 'sends driftClickReply and the forms of blocks/drift.ts through kit.reply and refusalModal',
  'listeners/views.ts': 'sends submitReply and clickReply; form errors are plain text',
  'listeners/home.ts': 'publishes homeView and requestsMessage',
  'listeners/command.ts': 'sends the builders above; checked on random hostile text in command.fuzz.test.ts',
  'listeners/admission.ts': 'two fixed sentences',
  'link-announcer.ts': 'posts linkChangeMessage of blocks/links.ts',
  'command-limit.ts': 'counts commands; the answer is commandLimitMessage',
  'list-state.ts': 'button values, not text',
  'listeners/roster.ts': 'sends rosterPageMessage and problemMessage',
  'listeners/review.ts': 'sends the builders of blocks/review.ts; form errors are plain text',
  'review-state.ts': 'button values, not text',
  'listeners/compose.ts': 'opens composeModal',
  'home-refresh.ts': 'publishes homeView, drawn by listeners/home.ts',
  'request-again.ts': 'button values, not text',
  'listeners/audit.ts': 'sends auditReply and auditFileComment of blocks/audit.ts',
  'approvers.ts': 'posts the bodies it is given, drawn elsewhere',
  'permalink.ts': 'asks Slack for a link; draws no text',
  'listeners/forms.ts': 'opens and replaces forms drawn elsewhere; refusals come from listeners/replies.ts',
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
