import { afterAll, beforeAll } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import { freePort } from '../../sandbox/sandbox.js';
import type { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { ensureBuilt } from './bot-process.js';
import { defaultGraph } from './harness.js';

/**
 * For a describe block whose built bots, each its own process, meet a Slack that is down: builds the bot once and
 * keeps the default Graph fake up throughout. `main` is the built bot's entry once the block has started.
 */
export function slackOutage(): { graph: FakeGraph; main: string } {
  const outage = { graph: defaultGraph(), main: '' };
  beforeAll(async () => {
    outage.main = await ensureBuilt();
    await outage.graph.start();
  }, 180_000);
  afterAll(() => outage.graph.stop());
  return outage;
}

/** Slack, down: an API address to give the bot, where nothing listens until `up` starts an emulator there. */
export interface DownSlack {
  apiUrl: string;
  /** Slack comes up at that address; again after the emulator was stopped, for the end of a later outage. */
  up(slack: SlackEmulator): Promise<void>;
}

export async function downSlack(): Promise<DownSlack> {
  const port = await freePort();
  return { apiUrl: `http://127.0.0.1:${port}/api/`, up: (slack) => slack.start(port) };
}

/** How many times the bot has said that Slack is unreachable and it will try again. */
export function slackRetries(output: string): number {
  return output.match(/Slack unreachable, retrying in/g)?.length ?? 0;
}
