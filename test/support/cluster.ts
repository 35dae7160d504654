import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGraph } from '../../sandbox/fake-graph.js';
import { freePort } from '../../sandbox/sandbox.js';
import { SlackEmulator, type SlackMessage } from '../../sandbox/slack/emulator.js';
import { blockActionBody, sendSigned, slashCommandBody } from '../../sandbox/slack/requests.js';
import { BotProcess } from './bot-process.js';
import {
  APP_SECRET,
  APPROVAL_CHANNEL,
  BUSINESS_ID,
  fakeConnections,
  META_TOKEN,
  SIGNING_SECRET,
  WABA_ID,
} from './harness.js';

let responses = 0;

/** Bot processes (replicas, or one restarted again and again) against one fake Slack and one fake Graph. */
export class Cluster {
  readonly slack = new SlackEmulator();
  readonly graph: FakeGraph;
  readonly bots = new Map<string, BotProcess>();
  private readonly dirs = new Map<string, string>();

  constructor(
    readonly users: string[],
    private readonly storeEnv: Record<string, string>,
  ) {
    this.graph = new FakeGraph({ accessToken: META_TOKEN, appSecret: APP_SECRET }).addWaba({
      id: WABA_ID,
      name: 'Support line',
      businessId: BUSINESS_ID,
    });
    for (const id of users) this.graph.addUser({ id, name: `User ${id}`, user_type: 'BUSINESS_USER' });
  }

  async start(): Promise<void> {
    await this.graph.start();
    await this.slack.start();
  }

  /**
   * Starts (or restarts, keeping its folder and port) the bot called `name`; `entry` picks sources or the build,
   * and `env` adds or overrides settings.
   */
  async startBot(name: string, port?: number, entry?: string, env: Record<string, string> = {}): Promise<BotProcess> {
    const dir = this.dirs.get(name) ?? mkdtempSync(join(tmpdir(), `waba-${name}-`));
    this.dirs.set(name, dir);
    const bot = await BotProcess.start(
      {
        ...fakeConnections({
          slackApiUrl: this.slack.apiUrl,
          graphUrl: this.graph.url,
          port: port ?? this.bots.get(name)?.port ?? (await freePort()),
        }),
        WABA_ID,
        META_BUSINESS_ID: BUSINESS_ID,
        APPROVER_IDS: 'UANN,UBOB,UCAROL',
        APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
        LOG_LEVEL: process.env.BOT_LOG_LEVEL ?? 'warn',
        // Load runs send hundreds of commands as one person; the per-person limit has tests of its own.
        COMMANDS_PER_MINUTE: '10000',
        // A background roster read would land in measured windows; drift has tests of its own.
        DRIFT_CHECK_EVERY: 'off',
        ...this.storeEnv,
        ...env,
      },
      dir,
      entry,
    );
    this.bots.set(name, bot);
    return bot;
  }

  bot(name: string): BotProcess {
    const bot = this.bots.get(name);
    if (!bot) throw new Error(`no bot ${name}`);
    return bot;
  }

  async command(name: string, text: string, userId = 'ULEAD') {
    const body = slashCommandBody({
      text,
      userId,
      channelId: 'CTEAM',
      responseUrl: this.slack.responseUrl(`c${++responses}`),
    });
    return sendSigned(`${this.bot(name).url}/slack/events`, SIGNING_SECRET, body);
  }

  async approve(name: string, message: SlackMessage, userId: string) {
    const value = requestIdOf(message);
    const body = blockActionBody({
      actionId: 'waba_approve',
      value,
      userId,
      channelId: message.channel,
      messageTs: message.ts,
      responseUrl: this.slack.responseUrl(`a${++responses}`),
    });
    return sendSigned(`${this.bot(name).url}/slack/events`, SIGNING_SECRET, body);
  }

  approvalMessages(): SlackMessage[] {
    return this.slack.messagesIn(APPROVAL_CHANNEL);
  }

  /** POSTs that changed the given user. */
  grantsTo(userId: string) {
    return this.graph.writes().filter((call) => call.method === 'POST' && call.form.user === userId);
  }

  async stop(): Promise<void> {
    for (const bot of this.bots.values()) await bot.kill();
    await this.slack.stop();
    await this.graph.stop();
  }
}

export function requestIdOf(message: SlackMessage): string {
  const actions = message.blocks.find((block) => block.type === 'actions');
  return String(actions?.block_id ?? '').split(':')[1] ?? '';
}

/** The user a grant request is about, read from its approval message. */
export function userOf(message: SlackMessage): string {
  return /`(\d{6,})`/.exec(JSON.stringify(message.blocks))?.[1] ?? '';
}
