import { setImmediate } from 'node:timers/promises';
import type {
  AllMiddlewareArgs,
  ButtonAction,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';
import { webApi } from '@slack/bolt';
import { expect, type Mock, vi } from 'vitest';
import type { Accounts } from '../../../src/access/accounts.js';
import type { Directory } from '../../../src/access/directory.js';
import type { DriftRow } from '../../../src/access/drift.js';
import type { DriftService } from '../../../src/access/drift-service.js';
import type { TemporaryGrant } from '../../../src/access/grants.js';
import type { ReviewRow } from '../../../src/access/review.js';
import type { AccessService } from '../../../src/access/service.js';
import { GraphClient } from '../../../src/graph/client.js';
import type { CommandLimit } from '../../../src/slack/command-limit.js';
import type { ListenerDeps } from '../../../src/slack/listeners/deps.js';
import type { ButtonArgs, ViewArgs } from '../../../src/slack/listeners/replies.js';
import { countUntilAnswered } from '../../../src/slack/listeners/yield.js';
import type { SlackPeople } from '../../../src/slack/people.js';
import { visibleText } from '../../support/message-text.js';
import { pendingRequest } from '../../support/requests.js';
import { oneAccount, WABA } from '../../support/service-fixture.js';

/**
 * Fakes for calling listeners directly, the way the Bolt samples test theirs: a recorded `ack` and `respond`, a real
 * `WebClient` whose methods are spied, and a fake domain service. Every call lands in one log, in order, so a test
 * can say what came before what.
 */

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type HomeArgs = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

/** The approver who clicks in these tests, and the requester. */
export const APPROVER = 'UANN';
export const REQUESTER = 'ULEAD';
export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const TEAM_CHANNEL = 'CTEAM';
/** What `views.open` answers: the id and hash a later `views.update` must name. */
export const OPENED = { id: 'V0001', hash: '1712345678.abcd' };

/** A live grant, for Extend. */
export function liveGrant(overrides: Partial<TemporaryGrant> = {}): TemporaryGrant {
  return {
    id: 'g1',
    requestId: 'r1',
    wabaId: '1000000000001',
    userId: '300000000000001',
    tasks: ['MESSAGING'],
    requesterId: REQUESTER,
    originChannelId: TEAM_CHANNEL,
    startsAt: '2026-01-01T10:00:00.000Z',
    endsAt: '2026-01-01T14:00:00.000Z',
    state: 'active',
    conflictMessages: [],
    ...overrides,
  };
}

/** The service methods listeners call, each answering what a successful call would by default. */
function fakeService() {
  const request = pendingRequest();
  return {
    decide: vi.fn(async (_input: object): Promise<object> => ({ kind: 'done', request })),
    cancel: vi.fn(async (_input: object): Promise<object> => ({ kind: 'done', request })),
    retry: vi.fn(async (_input: object): Promise<object> => ({ kind: 'done', request })),
    verdict: vi.fn(async (_id: string, _actor: string): Promise<object> => ({ kind: 'allowed', request })),
    extendable: vi.fn(async (_id: string, _actor: string): Promise<object> => ({ kind: 'active', grant: liveGrant() })),
    revokeGrantNow: vi.fn(
      async (_id: string, _actor: string): Promise<object> => ({ kind: 'ended', grant: liveGrant() }),
    ),
    resolveConflict: vi.fn(
      async (_id: string, _choice: string, _actor: string): Promise<object> => ({ kind: 'ended', grant: liveGrant() }),
    ),
    submit: vi.fn(async (_input: object): Promise<object> => ({ kind: 'not-announced' })),
    submitExtension: vi.fn(async (_input: object): Promise<object> => ({ kind: 'not-approver' })),
    requestsOf: vi.fn(async (_user: string): Promise<object> => ({ mine: [], toDecide: [] })),
    recentOf: vi.fn(async (_user: string): Promise<object[]> => []),
    grantsOf: vi.fn(async (_user: string): Promise<object[]> => []),
    personalViewsOf: vi.fn(
      async (users: string[]): Promise<Map<string, object>> =>
        new Map(
          users.map((user) => [user, { requests: { mine: [], toDecide: [] }, recent: [], grants: [] } as object]),
        ),
    ),
    endGrantAsDone: vi.fn(
      async (_id: string, _actor: string): Promise<object> => ({ kind: 'ended', grant: liveGrant() }),
    ),
    breakGlass: vi.fn(async (_input: object): Promise<object> => ({ kind: 'not-announced' })),
    reviewBreakGlass: vi.fn(async (_input: object): Promise<object> => ({ kind: 'not-found' })),
  };
}

export type FakeService = ReturnType<typeof fakeService>;

/** The row of an access review that the review fakes answer about: Zoe, with MESSAGING. */
export const REVIEW_ROW: ReviewRow = { userId: '300000000000009', name: 'Zoe Park', tasks: ['MESSAGING'] };
/** The shortest and longest time the account allows, as the review fakes answer. */
const REVIEW_LIMITS = { minMs: 3_600_000, maxMs: 30 * 86_400_000 };

/** The review use cases listeners call (`service.reviews`), answering as for an approver on an open row. */
function fakeReviews() {
  return {
    temporaryCheck: vi.fn(
      async (_ref: object, _actor: string): Promise<object> => ({ kind: 'allowed', row: REVIEW_ROW, ...REVIEW_LIMITS }),
    ),
    decide: vi.fn(async (_input: object): Promise<object> => ({ kind: 'decided', row: REVIEW_ROW })),
    showPage: vi.fn(async (_input: object): Promise<object> => ({ kind: 'shown' })),
  };
}

export type FakeReviews = ReturnType<typeof fakeReviews>;

/** A row of a drift digest: Zoe was given MANAGE outside the bot. */
export const DRIFT_ROW: DriftRow = {
  userId: '300000000000009',
  name: 'Zoe Park',
  kind: 'changed',
  expected: ['MESSAGING'],
  found: ['MESSAGING', 'MANAGE'],
  grantIds: [],
  status: 'open',
};

/** The drift use cases listeners call, answering as for an approver on an open row of the one account's digest. */
function fakeDrift() {
  const digest = {
    id: 'd1-abc',
    wabaId: WABA,
    alias: 'support',
    readAt: '2026-11-01T10:00:00.000Z',
    comparedWith: '2026-11-01T09:00:00.000Z',
    createdAt: '2026-11-01T10:00:01.000Z',
    rows: [DRIFT_ROW],
    omitted: 0,
    messages: [],
  };
  return {
    verdict: vi.fn(
      async (_ref: object, _actor: string, _action: string): Promise<object> => ({
        kind: 'allowed',
        digest,
        row: DRIFT_ROW,
      }),
    ),
    act: vi.fn(
      async (_ref: object, _actor: string, _action: string, _options?: object): Promise<object> => ({
        kind: 'done',
      }),
    ),
    showPage: vi.fn(async (_id: string, _message: object, _page: number): Promise<object | undefined> => digest),
  };
}

export type FakeDrift = ReturnType<typeof fakeDrift>;

/** A spied Slack method, answering `{ ok: true, …answer }`. */
export type SlackMock = Mock<(args: Record<string, unknown>) => Promise<Record<string, unknown>>>;

/** Everything one handler call uses, and what it did. */
export interface Kit {
  /**
   * Every call so far, in the order made (vitest's invocation order, so `mockResolvedValueOnce` keeps counting):
   * `ack`, `respond`, `views.open`, `chat.postEphemeral`, `service.decide`, `directory.metaIdOf`…
   */
  readonly calls: string[];
  ack: Mock;
  respond: Mock;
  client: webApi.WebClient;
  /** The spied Slack methods, by name. */
  slack: {
    'views.open': SlackMock;
    'views.update': SlackMock;
    'views.publish': SlackMock;
    'chat.postEphemeral': SlackMock;
    'chat.postMessage': SlackMock;
  };
  logger: { debug: Mock; info: Mock; warn: Mock; error: Mock };
  service: FakeService;
  /** `service.reviews`, logged as `service.reviews.temporaryCheck`… */
  reviews: FakeReviews;
  /** `deps.drift`, logged as `drift.verdict`… */
  drift: FakeDrift;
  directory: {
    metaIdOf: Mock<(slackId: string) => Promise<string | undefined>>;
    slackIdOf: Mock<(metaId: string) => Promise<string | undefined>>;
  };
  deps: ListenerDeps;
}

export interface KitOptions {
  accounts?: Accounts;
  commandLimit?: CommandLimit;
}

/** A fresh set of fakes; Slack methods nobody spied on fail, so an unexpected call shows. */
export function kit(options: KitOptions = {}): Kit {
  const client = new webApi.WebClient('xoxb-handler-test-not-real');
  vi.spyOn(client, 'apiCall').mockImplementation(async (method: string) => {
    throw new Error(`unexpected Slack call ${method}`);
  });
  const answering = (answer: Record<string, unknown>): SlackMock =>
    vi.fn(async (_args: Record<string, unknown>) => ({ ok: true, ...answer }));
  const slack = {
    'views.open': answering({ view: OPENED }),
    'views.update': answering({ view: OPENED }),
    'views.publish': answering({}),
    'chat.postEphemeral': answering({ message_ts: '1.0' }),
    'chat.postMessage': answering({ ts: '1.0' }),
  };
  client.views.open = slack['views.open'] as never;
  client.views.update = slack['views.update'] as never;
  client.views.publish = slack['views.publish'] as never;
  client.chat.postEphemeral = slack['chat.postEphemeral'] as never;
  client.chat.postMessage = slack['chat.postMessage'] as never;
  const service = fakeService();
  const reviews = fakeReviews();
  const drift = fakeDrift();
  const directory = {
    metaIdOf: vi.fn(async (_slackId: string): Promise<string | undefined> => undefined),
    slackIdOf: vi.fn(async (_metaId: string): Promise<string | undefined> => undefined),
  };
  const ack = vi.fn(async (_response?: unknown) => {});
  const respond = vi.fn(async (_message: unknown) => {});
  const named: Array<[string, Mock]> = [
    ['ack', ack],
    ['respond', respond],
    ...Object.entries(slack),
    ...Object.entries(service).map(([name, mock]): [string, Mock] => [`service.${name}`, mock]),
    ...Object.entries(reviews).map(([name, mock]): [string, Mock] => [`service.reviews.${name}`, mock]),
    ...Object.entries(drift).map(([name, mock]): [string, Mock] => [`drift.${name}`, mock]),
    ...Object.entries(directory).map(([name, mock]): [string, Mock] => [`directory.${name}`, mock]),
  ];
  const accounts =
    options.accounts ??
    oneAccount(new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't', retry: { maxAttempts: 1 } }));
  return {
    get calls() {
      return named
        .flatMap(([name, mock]) => mock.mock.invocationCallOrder.map((order) => [order, name] as const))
        .sort((a, b) => a[0] - b[0])
        .map(([, name]) => name);
    },
    ack,
    respond,
    client,
    slack,
    logger: { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    service,
    reviews,
    drift,
    directory,
    deps: {
      service: { ...service, reviews } as unknown as AccessService,
      drift: drift as unknown as DriftService,
      accounts,
      directory: directory as unknown as Directory,
      people: { idOf: vi.fn(async () => undefined) } as unknown as SlackPeople,
      ...(options.commandLimit ? { commandLimit: options.commandLimit } : {}),
    },
  };
}

/** Where a button was clicked: an approval message (with a response URL), the Home tab, or an ephemeral list. */
export type Surface = 'message' | 'home' | 'ephemeral';

/** The arguments Bolt gives a button listener, for a click by `userId` on a button carrying `value`. */
export function buttonArgs(
  k: Kit,
  {
    actionId,
    value,
    userId = APPROVER,
    on = 'message',
  }: { actionId: string; value?: string; userId?: string; on?: Surface },
): ButtonArgs {
  const action: ButtonAction = {
    type: 'button',
    action_id: actionId,
    block_id: `request:${value ?? ''}`,
    ...(value === undefined ? {} : { value }),
    text: { type: 'plain_text', text: actionId },
    action_ts: '1712345678.000100',
  };
  const body = {
    type: 'block_actions',
    user: { id: userId, name: userId.toLowerCase() },
    team: { id: 'T1', domain: 'example' },
    api_app_id: 'A1',
    token: 'verification-token-not-real',
    trigger_id: `trigger-${actionId}-${userId}`,
    actions: [action],
    ...(on === 'home'
      ? { view: { type: 'home', id: 'VHOME' }, container: { type: 'view', view_id: 'VHOME' } }
      : {
          channel: { id: on === 'ephemeral' ? TEAM_CHANNEL : APPROVAL_CHANNEL, name: 'approvals' },
          container: {
            type: 'message',
            is_ephemeral: on === 'ephemeral',
            channel_id: APPROVAL_CHANNEL,
            message_ts: '1712345678.000200',
          },
          response_url: 'https://hooks.slack.invalid/actions/T1/1/not-real',
        }),
  };
  return {
    ack: k.ack,
    respond: k.respond,
    client: k.client,
    logger: k.logger,
    body,
    action,
    payload: action,
    context: {},
    next: vi.fn(),
    say: vi.fn(),
  } as unknown as ButtonArgs;
}

/** The arguments Bolt gives a view listener, for a form sent by `userId`. */
export function viewArgs(
  k: Kit,
  {
    callbackId,
    privateMetadata,
    values,
    userId = APPROVER,
  }: { callbackId: string; privateMetadata: string; values: Record<string, Record<string, object>>; userId?: string },
): ViewArgs {
  const view = {
    id: OPENED.id,
    hash: OPENED.hash,
    type: 'modal',
    callback_id: callbackId,
    private_metadata: privateMetadata,
    state: { values },
  };
  const body = { type: 'view_submission', user: { id: userId, name: userId.toLowerCase() }, view };
  return {
    ack: k.ack,
    respond: k.respond,
    client: k.client,
    logger: k.logger,
    body,
    view,
    payload: view,
    context: {},
    next: vi.fn(),
  } as unknown as ViewArgs;
}

/** The arguments Bolt gives the `/waba` listener, for `text` typed by `userId`. */
export function commandArgs(k: Kit, { text, userId = REQUESTER }: { text: string; userId?: string }): CommandArgs {
  const command = {
    command: '/waba',
    text,
    user_id: userId,
    user_name: userId.toLowerCase(),
    channel_id: TEAM_CHANNEL,
    channel_name: 'team',
    team_id: 'T1',
    team_domain: 'example',
    api_app_id: 'A1',
    token: 'verification-token-not-real',
    trigger_id: `trigger-command-${userId}`,
    response_url: 'https://hooks.slack.invalid/commands/T1/1/not-real',
  };
  return {
    ack: k.ack,
    respond: k.respond,
    client: k.client,
    logger: k.logger,
    command,
    body: command,
    payload: command,
    context: {},
    next: vi.fn(),
    say: vi.fn(),
  } as unknown as CommandArgs;
}

/** The arguments Bolt gives the `app_home_opened` listener. */
export function homeArgs(k: Kit, { userId = APPROVER, tab = 'home' }: { userId?: string; tab?: string }): HomeArgs {
  const event = { type: 'app_home_opened', user: userId, channel: 'D1', tab, event_ts: '1712345678.000100' };
  return {
    client: k.client,
    logger: k.logger,
    event,
    payload: event,
    body: { type: 'event_callback', event },
    context: {},
    next: vi.fn(),
    say: vi.fn(),
  } as unknown as HomeArgs;
}

/** The first argument of a spied method's `n`th call. */
export function argOf<T = Record<string, unknown>>(spy: unknown, n = 0): T {
  return (spy as Mock).mock.calls[n]![0] as T;
}

/** The view a spied `views.open` or `views.update` was given. */
export function viewOf(spy: unknown, n = 0) {
  return argOf<{ view: Record<string, unknown> & { blocks: unknown[] } }>(spy, n).view;
}

/**
 * Runs a handler while another Slack request waits for its ack (as in a burst), then lets that one be answered and
 * the handler finish. Answers the calls the handler made while the other still waited.
 */
export async function callsWhileAnotherWaits(k: Kit, handle: () => Promise<void>): Promise<string[]> {
  const answered = countUntilAnswered();
  try {
    const handled = handle();
    for (let turn = 0; turn < 10; turn++) await setImmediate();
    const before = k.calls;
    answered();
    await handled;
    return before;
  } finally {
    answered();
  }
}

/** What the form a click opened was turned into, checked to be a refusal: only Close, and nothing to send. */
export function refusalText(k: Kit): string {
  const refusal = viewOf(k.slack['views.update']);
  expect(refusal).toMatchObject({ type: 'modal', close: { text: 'Close' } });
  expect(refusal.submit).toBeUndefined();
  expect(refusal.callback_id).toBeUndefined();
  return visibleText(refusal);
}
