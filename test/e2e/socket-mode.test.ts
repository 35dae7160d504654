import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import { freePort } from '../../sandbox/sandbox.js';
import type { AppMode } from '../../sandbox/slack/app-link.js';
import { SlackEmulator, type SlackMessage } from '../../sandbox/slack/emulator.js';
import type { DisconnectReason } from '../../sandbox/slack/socket-mode.js';
import { keyOf } from '../../sandbox/slack/workspace.js';
import { ACTION, FIELD } from '../../src/slack/ids.js';
import { BotProcess, ensureBuilt } from '../support/bot-process.js';
import {
  ALICE,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  BUSINESS_ID,
  DAVE,
  defaultGraph,
  eventually,
  fakeConnections,
  LEAD,
  SIGNING_SECRET,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { visibleText } from '../support/message-text.js';
import { downSlack, slackOutage, slackRetries } from '../support/slack-down.js';

/**
 * The built bot (`npm start`'s dist/main.js) against the Slack emulator, over HTTP and over Socket Mode: the same
 * person's steps reach the same bot, as signed requests or as envelopes on the socket the bot opened.
 */

const APP_TOKEN = 'xapp-1-e2e-app-token-not-real';
/** What main.ts's last-resort handlers log (Bolt's own "unhandled error" lines are errors it caught). */
const BUG = /BUG: (unhandled|uncaught)/;

function emulator(mode: AppMode): SlackEmulator {
  return new SlackEmulator({
    signingSecret: SIGNING_SECRET,
    commands: ['/waba'],
    mode,
    appToken: APP_TOKEN,
    people: [
      { id: LEAD, name: 'lena', realName: 'Lena Lead' },
      { id: ANN, name: 'ann', realName: 'Ann Approver' },
      { id: BOB, name: 'bob', realName: 'Bob Approver' },
    ],
    channels: [
      { id: TEAM_CHANNEL, name: 'team' },
      { id: APPROVAL_CHANNEL, name: 'approvals' },
    ],
  });
}

/** The bot's settings: HTTP mode, or Socket Mode with an app-level token (then PORT serves nothing). */
async function settings(mode: AppMode, slackApiUrl: string, graph: FakeGraph) {
  return {
    ...fakeConnections({ slackApiUrl, graphUrl: graph.url, port: await freePort() }),
    WABA_ID,
    META_BUSINESS_ID: BUSINESS_ID,
    APPROVER_IDS: `${ANN},${BOB}`,
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    STORE_URL: 'sqlite://./store.sqlite',
    LOG_LEVEL: 'info',
    ...(mode === 'socket' ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
  };
}

/** Waits until the bot has opened its `count`th socket to the emulator (and said nothing alarming). */
async function socketOpened(slack: SlackEmulator, bot: BotProcess, count: number, timeoutMs = 20_000) {
  await eventually(() => {
    if (!bot.alive) throw new Error(`the bot exited:\n${bot.output.join('')}`);
    return slack.socketMode.connectionsOpened >= count && slack.socketMode.connections > 0;
  }, timeoutMs).catch((error: unknown) => {
    throw new Error(`socket ${count} not opened (${(error as Error).message}):\n${bot.output.join('').slice(-3_000)}`);
  });
}

/** What `userId` sees in a channel, as text, ephemeral replies included. */
function seen(slack: SlackEmulator, channel: string, userId: string): string[] {
  return slack.workspace.visibleIn(channel, userId).map((message) => visibleText(message));
}

/** A grant filed by Lena and approved by Ann: exactly one Graph write, and the message updated in place. */
async function grantAndApprove(slack: SlackEmulator, graph: FakeGraph, user: string): Promise<SlackMessage> {
  const writes = graph.writes().length;
  const before = slack.messagesIn(APPROVAL_CHANNEL).length;
  await slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${user} MESSAGING`);
  const request = await eventually(() => slack.messagesIn(APPROVAL_CHANNEL)[before], 10_000);
  await slack.link.click(ANN, keyOf(request), ACTION.approve);
  const updated = await eventually(() => {
    const message = slack.messages.get(keyOf(request))!;
    return visibleText(message).includes('Approved by') && message;
  }, 10_000);
  await eventually(() => graph.writes().length > writes, 10_000);
  // Nothing else is on its way.
  await sleep(300);
  expect(graph.writes()).toHaveLength(writes + 1);
  return updated;
}

describe('the built bot in both modes', () => {
  let main: string;
  let graph: FakeGraph;
  let slack: SlackEmulator | undefined;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    main = await ensureBuilt();
  }, 180_000);
  afterEach(async () => {
    await bot?.kill();
    await slack?.stop();
    await graph?.stop();
    bot = undefined;
    slack = undefined;
  });

  async function start(mode: AppMode): Promise<{ slack: SlackEmulator; bot: BotProcess }> {
    graph = defaultGraph();
    await graph.start();
    slack = emulator(mode);
    await slack.start();
    const env = await settings(mode, slack.apiUrl, graph);
    if (mode === 'http') {
      bot = await BotProcess.start(env, undefined, main);
      slack.link.requestUrl = `${bot.url}/slack/events`;
    } else {
      bot = BotProcess.launch(env, undefined, main);
      await socketOpened(slack, bot, 1);
    }
    return { slack, bot };
  }

  it.each(['http', 'socket'] as const)(
    'in %s mode: a typo answered in the ack, the form’s errors, then command → approval → click → one Graph write',
    async (mode) => {
      const { slack, bot } = await start(mode);

      // The command's reply is the ack's body (HTTP) or the ack's payload (Socket Mode), not a response URL.
      await slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESAGING`);
      expect(seen(slack, TEAM_CHANNEL, LEAD).join('\n')).toContain('Did you mean `MESSAGING`?');
      expect(slack.responses).toEqual([]);

      // The form's problems come back as `response_action: errors`, the same way.
      await slack.link.command(LEAD, TEAM_CHANNEL, '/waba', '');
      const form = await eventually(() => slack.workspace.topViewOf(LEAD), 10_000);
      await slack.link.submitView(LEAD, form.id, { [FIELD.kind]: 'grant', [FIELD.user]: 'alice' });
      expect(form.errors).toEqual({
        [FIELD.user]: expect.stringContaining('digits only'),
        [FIELD.tasks]: expect.stringContaining('at least one task'),
      });
      expect(graph.calls).toHaveLength(0);
      await slack.link.submitView(LEAD, form.id, {
        [FIELD.kind]: 'grant',
        [FIELD.user]: DAVE,
        [FIELD.tasks]: ['MESSAGING'],
      });
      expect(slack.workspace.views.has(form.id)).toBe(false);
      const request = await eventually(() => slack.messagesIn(APPROVAL_CHANNEL)[0], 10_000);
      expect(visibleText(request)).toContain(DAVE);

      // The lead's own click is refused privately; the approver's goes to Meta once.
      await slack.link.click(LEAD, keyOf(request), ACTION.approve);
      await expect
        .poll(() => seen(slack, APPROVAL_CHANNEL, LEAD).join('\n'), { timeout: 10_000, interval: 50 })
        .toMatch(/own request/i);
      await slack.link.click(ANN, keyOf(request), ACTION.approve);
      await slack.link.click(BOB, keyOf(request), ACTION.approve);
      const updated = await eventually(() => {
        const message = slack.messages.get(keyOf(request))!;
        // Two approvers click at once: either may be first; one write all the same.
        return new RegExp(`Approved by <@(${ANN}|${BOB})>`).test(visibleText(message)) && message;
      }, 10_000);
      await eventually(() => graph.writes().length === 1, 10_000);
      await sleep(300);
      expect(graph.writes()).toHaveLength(1);
      expect(graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);
      expect(updated.updates).toBeGreaterThan(0);
      expect(slack.socketMode.envelopes.length > 0).toBe(mode === 'socket');
      expect(bot.output.join('')).not.toMatch(BUG);
    },
    60_000,
  );

  it('serves its probes and metrics on PORT, but not Slack’s HTTP route', async () => {
    const { bot } = await start('socket');
    await expect.poll(async () => (await fetch(`${bot.url}/healthz`)).status, { timeout: 10_000 }).toBe(200);
    expect((await fetch(`${bot.url}/livez`)).status).toBe(200);
    expect(await (await fetch(`${bot.url}/metrics`)).text()).toContain('waba_access_');
    const events = await fetch(`${bot.url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D' });
    expect(events.status).toBe(404);
    expect(await events.text()).not.toContain('/slack/events');
  }, 60_000);

  it('reconnects after each kind of disconnect and a dropped socket, and the next command still works', async () => {
    const { slack, bot } = await start('socket');
    const steps: Array<DisconnectReason | 'dropped socket'> = [
      'refresh_requested',
      'warning',
      'link_disabled',
      'dropped socket',
    ];
    for (const [index, step] of steps.entries()) {
      const opened = slack.socketMode.connectionsOpened;
      if (step === 'dropped socket') slack.socketMode.drop();
      else slack.socketMode.disconnect(step);

      await socketOpened(slack, bot, opened + 1);
      await slack.link.command(LEAD, TEAM_CHANNEL, '/waba', 'help');
      const replies = seen(slack, TEAM_CHANNEL, LEAD).filter((text) => text.includes('/waba grant'));
      expect(replies, `after ${step}`).toHaveLength(index + 1);
    }
    // One socket at a time: every old one was closed.
    expect(slack.socketMode.connections).toBe(1);
    await grantAndApprove(slack, graph, DAVE);
    expect(bot.alive).toBe(true);
    expect(bot.output.join('')).not.toMatch(BUG);
  }, 90_000);

  it('shrugs off envelopes it cannot read, without an unhandled rejection, and goes on serving', async () => {
    const { slack, bot } = await start('socket');

    const deliveries = await Promise.all([
      slack.socketMode.deliver('events_api', {}, false),
      slack.socketMode.deliver('events_api', { event: null }, false),
      slack.socketMode.deliver('interactive', { type: 'view_submission', view: null }, true),
      slack.socketMode.deliver('slash_commands', {}, true),
    ]);

    expect(deliveries.map((delivery) => delivery.kind)).not.toContain('no-connection');
    await grantAndApprove(slack, graph, DAVE);
    expect(bot.output.join('')).toContain('a Socket Mode message could not be read; ignored');
    expect(bot.output.join('')).not.toMatch(BUG);
  }, 60_000);
});

describe('Socket Mode while Slack is unreachable', () => {
  const outage = slackOutage();
  const { graph } = outage;

  it('waits Slack out at start and during a later outage, then serves the whole flow again', async () => {
    const down = await downSlack();
    const slack = emulator('socket');
    const bot = BotProcess.launch(await settings('socket', down.apiUrl, graph), undefined, outage.main);
    try {
      await eventually(() => slackRetries(bot.output.join('')) >= 4, 15_000);
      expect(bot.alive).toBe(true);

      await down.up(slack);
      await socketOpened(slack, bot, 1);
      await grantAndApprove(slack, graph, DAVE);

      // Slack goes away mid-run: the socket drops and apps.connections.open is refused for a while.
      await slack.stop();
      const outageStart = bot.output.join('').length;
      await eventually(() => {
        const since = bot.output.join('').slice(outageStart);
        return since.includes('Socket Mode connection closed; reconnecting') && slackRetries(since) >= 2;
      }, 15_000);
      expect(bot.alive).toBe(true);

      await down.up(slack);
      await socketOpened(slack, bot, 2);
      await grantAndApprove(slack, graph, ALICE);
      expect(bot.output.join('')).not.toMatch(BUG);

      // And it still stops cleanly.
      expect(await bot.signal('SIGTERM'), bot.output.join('').slice(-3_000)).toBe(0);
    } finally {
      await bot.kill();
      await slack.stop();
    }
  }, 90_000);
});
