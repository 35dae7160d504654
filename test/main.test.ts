import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/sandbox/sandbox.js';
import { SlackEmulator } from '../src/sandbox/slack/emulator.js';
import { BotProcess } from './support/bot-process.js';
import {
  APP_SECRET,
  BOT_TOKEN,
  BUSINESS_ID,
  defaultGraph,
  META_TOKEN,
  SIGNING_SECRET,
  WABA_ID,
} from './support/harness.js';

describe('npm start (src/main.ts) as a process', () => {
  const graph = defaultGraph();
  const slack = new SlackEmulator();

  beforeAll(async () => {
    await graph.start();
    await slack.start();
  });

  afterAll(async () => {
    await slack.stop();
    await graph.stop();
  });

  it('exits 1 with one line per missing setting, and no stack trace', async () => {
    const { code, output } = await BotProcess.run({ WABA_ID: '123' });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines[0]).toMatch(/cannot start/);
    expect(lines.slice(1).map((line) => line.trim().split(' ')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'META_ACCESS_TOKEN',
      'META_BUSINESS_ID',
      'APPROVER_IDS',
    ]);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('serves /healthz, then on SIGTERM closes cleanly and exits 0', async () => {
    const port = await freePort();
    const bot = await BotProcess.start({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      META_ACCESS_TOKEN: META_TOKEN,
      META_APP_SECRET: APP_SECRET,
      GRAPH_API_BASE_URL: graph.url,
      WABA_ID,
      META_BUSINESS_ID: BUSINESS_ID,
      APPROVER_IDS: 'UANN',
      STORE_URL: 'sqlite://./data/store.sqlite',
    });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect(await bot.signal('SIGTERM')).toBe(0);
    expect(bot.output.join('')).toContain('waba-access stopped');
  });
});
