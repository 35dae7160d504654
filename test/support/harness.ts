import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeGraph } from '../../sandbox/fake-graph.js';
import { SlackEmulator, type SlackMessage } from '../../sandbox/slack/emulator.js';
import {
  blockActionBody,
  type SendOptions,
  sendSigned,
  slashCommandBody,
  viewSubmissionBody,
} from '../../sandbox/slack/requests.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type RunningBot, type StartOptions, startBot } from '../../src/runtime.js';
import { visibleText } from './message-text.js';

/** The cast and the secrets of every end-to-end test. None of these are real. */
export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-e2e-bot-token-not-real';
export const META_TOKEN = 'EAAe2eMetaTokenNotReal123';
export const APP_SECRET = 'e2e-app-secret-not-real';
export const WABA_ID = '1000000000001';
export const BUSINESS_ID = '2000000000001';
export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const TEAM_CHANNEL = 'CTEAM';
export const LEAD = 'ULEAD';
export const ANN = 'UANN';
export const BOB = 'UBOB';
export const GROUP = 'SAPPROVERS';
export const CAROL = 'UCAROL';
export const STRANGER = 'USTRANGER';
/** On the WABA with MANAGE. */
export const ALICE = '300000000000001';
/** Alice in Slack; not linked to her Meta user until a test links her. */
export const ALICE_IN_SLACK = 'UALICE';
/** Known to Meta, not on the WABA. */
export const DAVE = '300000000000002';

/** The Slack side of the cast, so `@name` finds people and ephemeral messages reach them. */
const SLACK_PEOPLE = [
  { id: LEAD, name: 'lena', realName: 'Lena Lead' },
  { id: ANN, name: 'ann', realName: 'Ann Approver' },
  { id: BOB, name: 'bob', realName: 'Bob Approver' },
  { id: CAROL, name: 'carol', realName: 'Carol Group' },
  { id: STRANGER, name: 'stranger', realName: 'Sam Stranger' },
  { id: ALICE_IN_SLACK, name: 'alice', realName: 'Alice Example', email: 'alice@example.test' },
];

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  /** Use this Graph fake instead of a new one (to keep its state across restarts). */
  graph?: FakeGraph;
  sweepIntervalMs?: number;
  /** Drift checks run this often (below the config's 10 s floor); unset: as `DRIFT_CHECK_EVERY` says. */
  driftCheckEveryMs?: number;
  /** How the audit webhook polls and backs off (when AUDIT_WEBHOOK_URL is set). */
  auditWebhook?: StartOptions['auditWebhook'];
}

let responseCounter = 0;

/** Settings that connect a bot (in process or as its own process) to the loopback fakes. */
export function fakeConnections(fakes: { slackApiUrl: string; graphUrl: string; port: number | string }) {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fakes.slackApiUrl,
    PORT: String(fakes.port),
    META_ACCESS_TOKEN: META_TOKEN,
    META_APP_SECRET: APP_SECRET,
    GRAPH_API_BASE_URL: fakes.graphUrl,
  };
}

export class Harness {
  readonly logs: string[] = [];
  bot?: RunningBot;
  private readonly dir = mkdtempSync(join(tmpdir(), 'waba-e2e-'));

  private constructor(
    readonly graph: FakeGraph,
    readonly slack: SlackEmulator,
    readonly env: Record<string, string | undefined>,
    private readonly sweepIntervalMs?: number,
    private readonly driftCheckEveryMs?: number,
    private readonly auditWebhook?: StartOptions['auditWebhook'],
  ) {}

  /** A harness whose accounts come from a policy file with this text (the default graph plus `graph` changes). */
  static async startWithPolicy(
    text: string,
    options: Omit<HarnessOptions, 'env'> & { env?: Record<string, string | undefined> } = {},
  ): Promise<Harness> {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yml');
    writeFileSync(file, text);
    return Harness.start({
      ...options,
      env: {
        WABA_CONFIG: file,
        WABA_ID: undefined,
        META_BUSINESS_ID: undefined,
        APPROVER_IDS: undefined,
        ...options.env,
      },
    });
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const graph = options.graph ?? defaultGraph();
    if (!graph.url) await graph.start();
    const slack = new SlackEmulator({
      signingSecret: SIGNING_SECRET,
      commands: ['/waba'],
      people: SLACK_PEOPLE,
    });
    await slack.start();
    slack.usergroups.set(GROUP, [CAROL]);
    const harness = new Harness(
      graph,
      slack,
      {},
      options.sweepIntervalMs,
      options.driftCheckEveryMs,
      options.auditWebhook,
    );
    Object.assign(harness.env, {
      ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port: 0 }),
      WABA_ID,
      META_BUSINESS_ID: BUSINESS_ID,
      APPROVER_IDS: `${ANN},${BOB},${GROUP}`,
      APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
      STORE_URL: `sqlite://${join(harness.dir, 'store.sqlite')}`,
      // Tests sharing one Redis stay out of each other's keys.
      STORE_NAMESPACE: `e2e-${Math.random().toString(36).slice(2, 10)}`,
      LOG_LEVEL: 'debug',
      // A background roster read would shift other tests' Graph call counts; drift tests check when they choose.
      DRIFT_CHECK_EVERY: 'off',
      ...options.env,
    });
    await harness.startBot();
    return harness;
  }

  async startBot(): Promise<void> {
    const config = loadConfig(this.env as NodeJS.ProcessEnv);
    const logger = createLogger({
      level: config.logLevel,
      secrets: [BOT_TOKEN, SIGNING_SECRET, META_TOKEN, APP_SECRET],
      destination: { write: (line: string) => void this.logs.push(line) },
    });
    this.bot = await startBot(config, {
      logger,
      sweepIntervalMs: this.sweepIntervalMs ?? 60_000,
      drainTimeoutMs: 5_000,
      ...(this.driftCheckEveryMs === undefined ? {} : { driftCheckEveryMs: this.driftCheckEveryMs }),
      ...(this.auditWebhook ? { auditWebhook: this.auditWebhook } : {}),
    });
    this.slack.link.requestUrl = this.eventsUrl;
  }

  async restartBot(): Promise<void> {
    await this.bot?.stop();
    await this.startBot();
  }

  get eventsUrl(): string {
    return `http://127.0.0.1:${this.bot?.port}/slack/events`;
  }

  /** Sends `/waba text`; returns the HTTP answer and the id of its response URL. */
  async command(text: string, userId = LEAD, channelId = TEAM_CHANNEL, options: SendOptions = {}) {
    const responseId = `r${++responseCounter}`;
    const body = slashCommandBody({ text, userId, channelId, responseUrl: this.slack.responseUrl(responseId) });
    const reply = await sendSigned(this.eventsUrl, SIGNING_SECRET, body, options);
    return { ...reply, responseId };
  }

  /** Clicks a button of a message, as `userId`. */
  async click(message: SlackMessage, actionId: string, userId: string, value?: string, options: SendOptions = {}) {
    const responseId = `r${++responseCounter}`;
    const body = blockActionBody({
      actionId,
      value: value ?? buttonValue(message, actionId),
      userId,
      channelId: message.channel,
      messageTs: message.ts,
      responseUrl: this.slack.responseUrl(responseId),
    });
    const reply = await sendSigned(this.eventsUrl, SIGNING_SECRET, body, options);
    return { ...reply, responseId };
  }

  async submitView(
    callbackId: string,
    userId: string,
    privateMetadata: string,
    values: Record<string, Record<string, unknown>>,
  ) {
    const body = viewSubmissionBody({ callbackId, userId, privateMetadata, values });
    return sendSigned(this.eventsUrl, SIGNING_SECRET, body);
  }

  /** Runs `/waba text` as `userId` and returns the text of the reply it got (in the ack or on the response URL). */
  async answer(text: string, userId = LEAD, channelId = TEAM_CHANNEL): Promise<string> {
    const sent = await this.command(text, userId, channelId);
    if (sent.json?.blocks) return visibleText(sent.json);
    return visibleText(await eventually(() => this.responses(sent.responseId)[0]));
  }

  /** Modals the bot opened, oldest first, each as it reads now (after any `views.update`). */
  views(): Array<Record<string, unknown>> {
    return [...this.slack.workspace.views.values()].map((open) => open.view);
  }

  /**
   * Clicks a button that opens a form, as `userId`, and waits until the form it opened is `settled` as it reads
   * now; by default, until the bot has turned it into a refusal (a reason and only Close).
   */
  async clickForm(
    message: SlackMessage,
    actionId: string,
    userId: string,
    settled: (view: Record<string, unknown>) => boolean = isRefusal,
  ) {
    const before = this.views().length;
    const click = await this.click(message, actionId, userId);
    const view = await eventually(() => {
      const opened = this.views()[before];
      return opened && settled(opened) && opened;
    });
    return { ...click, view };
  }

  /** What was posted to a response URL. */
  responses(responseId: string): Array<Record<string, unknown>> {
    return this.slack.responses.filter((response) => response.id === responseId).map((response) => response.body);
  }

  /** Messages about requests and grants in the approval channel; announcements of link changes are left out. */
  approvalMessages(): SlackMessage[] {
    return this.slack.messagesIn(APPROVAL_CHANNEL).filter((message) => !isLinkAnnouncement(message));
  }

  /** Announcements of link changes in a channel, as text. */
  linkAnnouncementsIn(channel: string): string[] {
    return this.slack
      .messagesIn(channel)
      .filter(isLinkAnnouncement)
      .map((message) => message.text ?? '');
  }

  async stop(): Promise<void> {
    await this.bot?.stop();
    await this.slack.stop();
    await this.graph.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether a modal is a refusal: something to read and Close, nothing to submit. */
export function isRefusal(view: Record<string, unknown>): boolean {
  return view.callback_id === undefined && view.submit === undefined;
}

function isLinkAnnouncement(message: SlackMessage): boolean {
  return (message.text ?? '').startsWith('🔗');
}

export function defaultGraph(): FakeGraph {
  return new FakeGraph({ accessToken: META_TOKEN, appSecret: APP_SECRET })
    .addWaba({ id: WABA_ID, name: 'Support line', businessId: BUSINESS_ID })
    .addUser({ id: ALICE, name: 'Alice Example', user_type: 'BUSINESS_USER' })
    .addUser({ id: DAVE, name: 'Dave Example', user_type: 'BUSINESS_USER' })
    .assign(WABA_ID, ALICE, ['MANAGE']);
}

/** The value a message's button carries (a request id, a grant id). */
export function buttonValue(message: SlackMessage, actionId: string): string {
  for (const block of message.blocks) {
    for (const element of (block.elements as Array<Record<string, unknown>> | undefined) ?? []) {
      if (element.action_id === actionId) return String(element.value);
    }
  }
  throw new Error(`message ${message.ts} has no ${actionId} button`);
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls until `check` returns something truthy (or stops throwing). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
      lastError = new Error('condition not met');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await sleep(20);
  }
}
