import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type BotProcess, ensureBuilt } from '../support/bot-process.js';
import { Cluster } from '../support/cluster.js';
import { eventually, WABA_ID } from '../support/harness.js';
import { visibleText } from '../support/message-text.js';
import { Relay } from '../support/relay.js';

const USER = '300000000000001';

describe('Meta unreachable', () => {
  const cluster = new Cluster([USER], {
    STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-meta-')), 's.sqlite')}`,
  });
  let relay: Relay | undefined;

  afterAll(async () => {
    await cluster.stop();
    await relay?.stop();
  });

  it('keeps the built bot up and ready, files a request with access unknown, and carries it out once Meta is back', async () => {
    const main = await ensureBuilt();
    cluster.graph.assign(WABA_ID, USER, ['MANAGE']);
    await cluster.start();
    const graph = new URL(cluster.graph.url);
    relay = await new Relay({ hostname: graph.hostname, port: Number(graph.port) }).start();
    relay.sever();
    // Meta is unreachable from the first moment, for requests and the background drift check alike.
    const bot: BotProcess = await cluster.startBot('bot', undefined, main, {
      GRAPH_API_BASE_URL: `http://127.0.0.1:${relay.port}`,
      DRIFT_CHECK_EVERY: '10s',
    });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);

    expect((await cluster.command('bot', `grant ${USER} MESSAGING because on call`)).status).toBe(200);
    const approval = await eventually(() => cluster.approvalMessages()[0], 10_000);
    expect(visibleText(approval)).toContain('unknown (Meta: Could not reach the Graph API');
    await sleep(1_000);
    expect(bot.alive).toBe(true);

    relay.restore();
    expect((await cluster.approve('bot', approval, 'UANN')).status).toBe(200);
    await eventually(() => cluster.grantsTo(USER).length === 1, 10_000);
    expect(cluster.graph.tasksOf(WABA_ID, USER)).toEqual(['MANAGE', 'MESSAGING']);
    expect(bot.alive).toBe(true);
    expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
  }, 60_000);
});
