import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import { freePort } from '../../sandbox/sandbox.js';
import { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { blockActionBody, sendSigned, slashCommandBody } from '../../sandbox/slack/requests.js';
import { ACTION } from '../../src/slack/ids.js';
import { BotProcess } from '../support/bot-process.js';
import {
  ALICE,
  ANN,
  APPROVAL_CHANNEL,
  BUSINESS_ID,
  buttonValue,
  DAVE,
  eventually,
  fakeConnections,
  LEAD,
  SIGNING_SECRET,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { visibleText } from '../support/message-text.js';
import { downSlack, slackOutage, slackRetries } from '../support/slack-down.js';

/** Lena asks for MESSAGING for `user` and Ann approves it, by signed requests; resolves once Graph has the write. */
async function grantAndApprove(slack: SlackEmulator, graph: FakeGraph, bot: BotProcess, user: string): Promise<void> {
  const events = `${bot.url}/slack/events`;
  const before = slack.messagesIn(APPROVAL_CHANNEL).length;
  const command = await sendSigned(
    events,
    SIGNING_SECRET,
    slashCommandBody({
      text: `grant ${user} MESSAGING`,
      userId: LEAD,
      channelId: TEAM_CHANNEL,
      responseUrl: slack.responseUrl(`grant-${user}`),
    }),
  );
  expect(command.status).toBe(200);
  const approval = await eventually(
    () =>
      slack
        .messagesIn(APPROVAL_CHANNEL)
        .slice(before)
        .find((message) => visibleText(message).includes(`\`${user}\``)),
    10_000,
  );
  const click = await sendSigned(
    events,
    SIGNING_SECRET,
    blockActionBody({
      actionId: ACTION.approve,
      value: buttonValue(approval, ACTION.approve),
      userId: ANN,
      channelId: approval.channel,
      messageTs: approval.ts,
      responseUrl: slack.responseUrl(`approve-${user}`),
    }),
  );
  expect(click.status).toBe(200);
  await eventually(() => graph.tasksOf(WABA_ID, user)?.includes('MESSAGING'), 10_000);
}

describe('Slack unreachable at start', () => {
  const outage = slackOutage();
  const { graph } = outage;

  it('keeps the built bot up and not ready, then serves a whole request once Slack is back', async () => {
    const down = await downSlack();
    const slack = new SlackEmulator({
      signingSecret: SIGNING_SECRET,
      commands: ['/waba'],
      people: [
        { id: LEAD, name: 'lena', realName: 'Lena Lead' },
        { id: ANN, name: 'ann', realName: 'Ann Approver' },
      ],
    });
    const bot = await BotProcess.start(
      {
        ...fakeConnections({ slackApiUrl: down.apiUrl, graphUrl: graph.url, port: await freePort() }),
        WABA_ID,
        META_BUSINESS_ID: BUSINESS_ID,
        APPROVER_IDS: ANN,
        APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
        STORE_URL: 'sqlite://./data/store.sqlite',
      },
      undefined,
      outage.main,
      'listening',
    );
    try {
      await eventually(() => slackRetries(bot.output.join('')) > 0, 10_000);
      const health = await fetch(`${bot.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'starting', waiting_for: ['slack'] });
      // Well past the second Bolt used to survive.
      await sleep(2_500);
      expect(bot.alive).toBe(true);

      await down.up(slack);
      await expect
        .poll(async () => (await fetch(`${bot.url}/healthz`)).status, { timeout: 20_000, interval: 200 })
        .toBe(200);

      await grantAndApprove(slack, graph, bot, DAVE);
      expect(graph.tasksOf(WABA_ID, DAVE)).toEqual(['MESSAGING']);

      // Slack goes away mid-run: a command still gets its ack, what the bot cannot post is logged, and it stays up.
      await slack.stop();
      const command = await sendSigned(
        `${bot.url}/slack/events`,
        SIGNING_SECRET,
        slashCommandBody({
          text: `grant ${ALICE} VIEW_COST`,
          userId: LEAD,
          channelId: TEAM_CHANNEL,
          responseUrl: slack.responseUrl('outage'),
        }),
      );
      expect(command.status).toBe(200);
      await eventually(() => bot.output.join('').includes('could not post approval message'), 10_000);
      expect(bot.alive).toBe(true);
      expect((await fetch(`${bot.url}/livez`)).status).toBe(200);

      // Back: the next request goes through to Meta once.
      await down.up(slack);
      await grantAndApprove(slack, graph, bot, ALICE);
      expect(graph.writes()).toHaveLength(2);
      expect(bot.alive).toBe(true);
      expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
    } finally {
      await bot.kill();
      await slack.stop();
    }
  }, 60_000);

  it('keeps a Socket Mode bot up, retrying, instead of exiting', async () => {
    const down = await downSlack();
    const bot = BotProcess.launch(
      {
        ...fakeConnections({ slackApiUrl: down.apiUrl, graphUrl: graph.url, port: await freePort() }),
        SLACK_APP_TOKEN: 'xapp-1-socket-mode-not-real',
        WABA_ID,
        META_BUSINESS_ID: BUSINESS_ID,
        APPROVER_IDS: ANN,
        STORE_URL: 'memory://',
      },
      undefined,
      outage.main,
    );
    try {
      // Both the identity check and the socket connection wait Slack out; twice each, to see it keep trying.
      await eventually(() => slackRetries(bot.output.join('')) >= 4, 15_000);
      expect(bot.alive).toBe(true);
      expect(bot.output.join('')).toContain('"mode":"socket"');
      expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
      expect(await bot.signal('SIGTERM'), bot.output.join('').slice(-3000)).toBe(0);
    } finally {
      await bot.kill();
    }
  }, 30_000);
});
