import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { freePort } from '../sandbox/sandbox.js';
import { sign } from '../sandbox/slack/requests.js';
import { BotProcess } from '../test/support/bot-process.js';
import type { Cluster } from '../test/support/cluster.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../test/support/harness.js';

/** How long the fakes must see no call before a bot counts as done with what it was asked. */
export const QUIET_MS = 600;

/**
 * Resolves once `activity()` (a count of calls the fakes received) has not changed for `quietMs`. This is how a
 * peer sees that a bot has finished: from the outside, with no hook in the bot.
 */
export async function quiet(activity: () => number, quietMs = QUIET_MS, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = activity();
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) throw new Error(`still busy after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = activity();
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
  }
}

/** Polls until `check` returns something truthy. */
export async function waitFor<T>(
  check: () => T | false | undefined,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`benchmark ${what} not reached in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Times bursts of signed Slack requests from a thread of its own (see load-thread.ts). */
export class LoadThread {
  private readonly worker = new Worker(new URL('./load-thread.mjs', import.meta.url));

  /** Sends every body at once to `url`'s /slack/events, signed as Slack signs; resolves with each answer's time. */
  async burst(url: string, bodies: string[]): Promise<number[]> {
    return (await this.timedBurst(url, bodies)).latencies;
  }

  /** As `burst`, with the moment the last answer arrived (epoch ms, fractional). */
  async timedBurst(url: string, bodies: string[]): Promise<{ latencies: number[]; lastAnsweredAt: number }> {
    const signed = bodies.map((body) => {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(SIGNING_SECRET, timestamp, body),
      };
      return `${JSON.stringify(headers)}\n${body}`;
    });
    this.worker.postMessage({ url: `${url}/slack/events`, bodies: signed });
    const [answer] = (await once(this.worker, 'message')) as [{ latencies: number[]; lastAnsweredAt: number }];
    return answer;
  }

  /**
   * Warms the sender, and only the sender: `rounds` bursts of `bodies` to a server of the bench's own that answers
   * every request with an empty 200. Without it the first burst measured pays for the sending thread's own first
   * run (its HTTP client not yet compiled), and that is whichever app is measured first; neither app under test
   * sees any of this traffic.
   */
  async warmUp(bodies: string[], rounds = 2): Promise<void> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    server.keepAliveTimeout = 65_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      for (let i = 0; i < rounds; i++) await this.burst(`http://127.0.0.1:${port}`, bodies);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The value at percentile `p` of ascending `sorted`. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Milliseconds to one decimal. */
export const round = (ms: number) => Math.round(ms * 10) / 10;

const BARE_BOLT = fileURLToPath(new URL('./bare-bolt.ts', import.meta.url));

/** The yardstick: a bare Bolt app that only acks, beside the cluster's Slack fake, on a port of its own. */
export async function startBareBolt(cluster: Cluster): Promise<BotProcess> {
  return BotProcess.start(
    {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: cluster.slack.apiUrl,
      PORT: String(await freePort()),
    },
    undefined,
    BARE_BOLT,
  );
}
