import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../sandbox/sandbox.js';
import { SlackEmulator } from '../sandbox/slack/emulator.js';
import { sendSigned, slashCommandBody } from '../sandbox/slack/requests.js';
import { BotProcess } from './support/bot-process.js';
import { BUSINESS_ID, defaultGraph, eventually, fakeConnections, SIGNING_SECRET, WABA_ID } from './support/harness.js';

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

  /** Settings that connect a bot process to the fakes, on a free port. */
  const connections = async () =>
    fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port: await freePort() });

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
    const bot = await BotProcess.start({
      ...(await connections()),
      WABA_ID,
      META_BUSINESS_ID: BUSINESS_ID,
      APPROVER_IDS: 'UANN',
      STORE_URL: 'sqlite://./data/store.sqlite',
    });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect(await bot.signal('SIGTERM')).toBe(0);
    expect(bot.output.join('')).toContain('waba-access stopped');
  });

  it('reads the policy file again on SIGHUP, and keeps the running policy when the new file is wrong', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yml');
    const account = (alias: string, waba: string) =>
      `  ${alias}:\n    waba_id: ${waba}\n    business_id: ${BUSINESS_ID}\n    approvers: [UANN]\n`;
    writeFileSync(file, `accounts:\n${account('support', WABA_ID)}`);
    const bot = await BotProcess.start({ ...(await connections()), WABA_CONFIG: file, STORE_URL: 'memory://' });
    const accounts = async () => {
      const body = slashCommandBody({ text: 'accounts', userId: 'ULEAD', channelId: 'C1', responseUrl: '' });
      return JSON.stringify((await sendSigned(`${bot.url}/slack/events`, SIGNING_SECRET, body)).json);
    };
    try {
      expect(await accounts()).not.toContain('*sales*');
      writeFileSync(
        file,
        `default_account: support\nadmins: [UANN]\naccounts:\n${account('support', WABA_ID)}${account('sales', '42')}`,
      );
      bot.child.kill('SIGHUP');
      await eventually(async () => (await accounts()).includes('*sales*'));

      writeFileSync(file, 'accounts:\n  support:\n    waba_id: not-digits\n');
      bot.child.kill('SIGHUP');
      await eventually(() => bot.output.join('').includes('the policy file was not reloaded'));
      expect(bot.output.join('')).toContain('policy.yml:3: accounts.support.waba_id: "not-digits" is not a Meta id');
      expect(await accounts()).toContain('*sales*');
      expect(await bot.signal('SIGTERM')).toBe(0);
    } finally {
      await bot.kill();
    }
  });
});
