import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../sandbox/fake-graph.js';
import { SlackEmulator } from '../sandbox/slack/emulator.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningBot, startBot } from '../src/runtime.js';
import {
  ANN,
  BUSINESS_ID,
  defaultGraph,
  eventually,
  fakeConnections,
  SIGNING_SECRET,
  WABA_ID,
} from './support/harness.js';

const APP_TOKEN = 'xapp-1-runtime-app-token-not-real';

let graph: FakeGraph | undefined;
let slack: SlackEmulator | undefined;
let bot: RunningBot | undefined;

afterEach(async () => {
  await bot?.stop();
  await slack?.stop();
  await graph?.stop();
});

describe('a bot in Socket Mode', () => {
  it('closes its socket when it stops, and opens no other, while the server for probes closes too', async () => {
    graph = defaultGraph();
    await graph.start();
    slack = new SlackEmulator({
      signingSecret: SIGNING_SECRET,
      commands: ['/waba'],
      mode: 'socket',
      appToken: APP_TOKEN,
    });
    await slack.start();
    const config = loadConfig({
      ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port: 0 }),
      SLACK_APP_TOKEN: APP_TOKEN,
      WABA_ID,
      META_BUSINESS_ID: BUSINESS_ID,
      APPROVER_IDS: ANN,
      STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-socket-')), 'store.sqlite')}`,
      DRIFT_CHECK_EVERY: 'off',
    } as NodeJS.ProcessEnv);
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', secrets: [], destination: { write: (line) => void logs.push(line) } });
    bot = await startBot(config, { logger, sweepIntervalMs: 60_000, drainTimeoutMs: 1_000 });
    const socketMode = slack.socketMode;
    await eventually(() => socketMode.connections === 1, 10_000);
    const probe = await fetch(`http://127.0.0.1:${bot.port}/livez`);
    expect(probe.status).toBe(200);

    await bot.stop();
    await eventually(() => socketMode.connections === 0, 5_000);
    const opened = socketMode.connectionsOpened;
    await sleep(1_500);
    expect(socketMode.connectionsOpened).toBe(opened);
    expect(socketMode.connections).toBe(0);
    expect(logs.join('')).not.toContain('reconnecting');
    await expect(fetch(`http://127.0.0.1:${bot.port}/livez`)).rejects.toThrow();
  });
});
