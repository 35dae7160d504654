import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/sandbox.js';
import { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { sendSigned, slashCommandBody } from '../../sandbox/slack/requests.js';
import { BotProcess, ensureBuilt } from '../support/bot-process.js';
import { BUSINESS_ID, defaultGraph, eventually, fakeConnections, SIGNING_SECRET, WABA_ID } from '../support/harness.js';
import { billionLaughs } from '../support/hostile-yaml.js';

describe('SIGHUP with a hostile policy file', () => {
  const graph = defaultGraph();
  const slack = new SlackEmulator({ signingSecret: SIGNING_SECRET });

  beforeAll(async () => {
    await graph.start();
    await slack.start();
  });

  afterAll(async () => {
    await slack.stop();
    await graph.stop();
  });

  it('keeps the built bot up and the running policy in force, and logs the problem', async () => {
    const main = await ensureBuilt();
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yml');
    writeFileSync(
      file,
      `accounts:\n  support:\n    waba_id: ${WABA_ID}\n    business_id: ${BUSINESS_ID}\n    approvers: [UANN]\n`,
    );
    const bot = await BotProcess.start(
      {
        ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port: await freePort() }),
        WABA_CONFIG: file,
        STORE_URL: 'memory://',
      },
      undefined,
      main,
    );
    const accounts = async () => {
      const body = slashCommandBody({ text: 'accounts', userId: 'ULEAD', channelId: 'C1', responseUrl: '' });
      return JSON.stringify((await sendSigned(`${bot.url}/slack/events`, SIGNING_SECRET, body)).json);
    };
    try {
      expect(await accounts()).toContain('*support*');
      writeFileSync(file, billionLaughs());
      bot.child.kill('SIGHUP');
      await eventually(() => bot.output.join('').includes('the policy file was not reloaded'), 10_000);
      expect(bot.output.join('')).toMatch(/policy\.yml: .*alias.*\(the YAML cannot be read\)/i);
      expect(bot.alive).toBe(true);
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
      expect(await accounts()).toContain('*support*');
      expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
      expect(await bot.signal('SIGTERM')).toBe(0);
    } finally {
      await bot.kill();
    }
  }, 60_000);
});

describe('start-up with a policy file', () => {
  it('refuses, with one clear line and no stack trace, several accounts without `admins:`', async () => {
    const main = await ensureBuilt();
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yml');
    const account = (alias: string, waba: string) =>
      `  ${alias}:\n    waba_id: ${waba}\n    business_id: ${BUSINESS_ID}\n    approvers: [UANN]\n`;
    writeFileSync(file, `default_account: support\naccounts:\n${account('support', WABA_ID)}${account('sales', '42')}`);
    const { code, output } = await BotProcess.run(
      {
        ...fakeConnections({ slackApiUrl: 'http://127.0.0.1:9/api/', graphUrl: 'http://127.0.0.1:9', port: 0 }),
        WABA_CONFIG: file,
        STORE_URL: 'memory://',
      },
      main,
    );
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'waba-access cannot start; fix these in .env, the environment or the policy file (see .env.example):',
      expect.stringMatching(/^ {2}\S*policy\.yml:1: admins: is needed with several accounts: list who may link people/),
    ]);
  });
});
