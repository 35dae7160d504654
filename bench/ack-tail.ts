import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { slashCommandBody } from '../sandbox/slack/requests.js';
import { type BotProcess, COMPILED_MAIN } from '../test/support/bot-process.js';
import { Cluster } from '../test/support/cluster.js';
import { LoadThread, percentile, QUIET_MS, quiet, round, startBareBolt } from './observe.js';

const CPU_PROFILE = fileURLToPath(new URL('./cpu-profile.mjs', import.meta.url));

/**
 * The ack tail under bursts, measured as a peer would: each round sends a burst of `/waba grant` commands to the
 * built bot and waits until the fakes have seen no call for 600 ms; then the same burst to a bare Bolt app that only
 * acks, and waits likewise. Neither app is warmed up: every round counts. Only the sending thread is, on a server of its own.
 */

export interface AckTailResult {
  name: 'ack-tail';
  burst: number;
  rounds: number;
  samples: number;
  botP50Ms: number;
  botP99Ms: number;
  bareP50Ms: number;
  bareP99Ms: number;
  p99Ratio: number;
  /** Each round's p99, bot and bare, to show how much the rounds differ. */
  perRound: Array<{
    round: number;
    botP99Ms: number;
    bareP99Ms: number;
    /** CPU the bot used from the burst's first request to its last ack, and from there until quiet. */
    botCpuAckMs: number;
    /** CPU the bare Bolt app used for its burst, for comparison with `botCpuAckMs`. */
    bareCpuAckMs: number;
    botCpuAfterMs: number;
    /** Wall time from the last ack until quiet: the post-ack work of the burst. */
    afterMs: number;
    /** Graph calls the bot made before its last ack went out: post-ack work that ran ahead of waiting acks. */
    graphCallsBeforeLastAck: number;
  }>;
  /**
   * When profiled: each bot burst on the monotonic clock in µs (the clock of the profile's timestamps), from the
   * first request sent to the last ack and to quiet, for `profile-summary.ts --window=`.
   */
  windows?: Array<{ round: number; startUs: number; ackedUs: number; quietUs: number }>;
  target: string;
  pass: boolean;
}

export interface AckTailOptions {
  burst?: number;
  rounds?: number;
  /** Profile the bot's CPU (see cpu-profile.mjs), writing the profile into this folder when it stops. */
  cpuProfileDir?: string;
}

export async function benchAckTail(options: AckTailOptions = {}): Promise<AckTailResult> {
  const burst = options.burst ?? 200;
  const rounds = options.rounds ?? 5;
  // People known to Meta and not on the WABA yet: every command is a grant that will be filed.
  const users = Array.from({ length: burst * rounds }, (_, i) => String(700_000_000_000_000 + i));
  const cluster = new Cluster(users, {
    STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-acks-')), 'store.sqlite')}`,
    LOG_LEVEL: 'warn',
    ...(options.cpuProfileDir
      ? { NODE_OPTIONS: `--import=${CPU_PROFILE}`, CPU_PROFILE_DIR: options.cpuProfileDir }
      : {}),
  });
  await cluster.start();
  const bot = await cluster.startBot('bot', undefined, COMPILED_MAIN);
  const bare = await startBareBolt(cluster);
  const activity = () => cluster.graph.calls.length + cluster.slack.calls.length + cluster.slack.responses.length;
  const load = new LoadThread();
  let sent = 0;
  const grants = (batch: string[]) =>
    batch.map((user) =>
      slashCommandBody({
        text: `grant ${user} MESSAGING`,
        userId: 'ULEAD',
        channelId: 'CTEAM',
        responseUrl: cluster.slack.responseUrl(`ack${++sent}`),
      }),
    );
  const botSamples: number[] = [];
  const bareSamples: number[] = [];
  const perRound: AckTailResult['perRound'] = [];
  const windows: NonNullable<AckTailResult['windows']> = [];
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  try {
    // The sending thread is warmed on a server of its own, so neither app pays for its first run.
    await load.warmUp(grants(users.slice(0, burst)));
    for (let r = 0; r < rounds; r++) {
      const batch = users.slice(r * burst, (r + 1) * burst);
      await quiet(activity);
      const bodies = grants(batch);
      const startUs = nowUs();
      const cpuStart = cpuMs(bot);
      const graphBefore = cluster.graph.calls.length;
      const { latencies: botRound, lastAnsweredAt } = await load.timedBurst(bot.url, bodies);
      const ackedUs = nowUs();
      const cpuAcked = cpuMs(bot);
      await quiet(activity);
      const quietUs = nowUs();
      const cpuQuiet = cpuMs(bot);
      windows.push({ round: r + 1, startUs, ackedUs, quietUs });
      const bareCpuStart = cpuMs(bare);
      const bareRound = await load.burst(bare.url, grants(batch));
      const bareCpuAckMs = cpuMs(bare) - bareCpuStart;
      await quiet(activity);
      botSamples.push(...botRound);
      bareSamples.push(...bareRound);
      perRound.push({
        round: r + 1,
        botP99Ms: p99(botRound),
        bareP99Ms: p99(bareRound),
        botCpuAckMs: cpuAcked - cpuStart,
        bareCpuAckMs,
        botCpuAfterMs: cpuQuiet - cpuAcked,
        // Less the quiet period that proves the work is over.
        afterMs: Math.round((quietUs - ackedUs) / 1000) - QUIET_MS,
        graphCallsBeforeLastAck: cluster.graph.calls
          .slice(graphBefore)
          .filter((call) => performance.timeOrigin + call.arrivedAt < lastAnsweredAt).length,
      });
    }
  } finally {
    await load.close();
    await bare.kill();
    // SIGTERM, not SIGKILL: a profiled bot writes its profile as it exits.
    if (options.cpuProfileDir) await bot.signal('SIGTERM');
    await cluster.stop();
  }
  const bot50 = percentile(sorted(botSamples), 50);
  const bare50 = percentile(sorted(bareSamples), 50);
  const bot99 = p99(botSamples);
  const bare99 = p99(bareSamples);
  const ratio = bot99 / bare99;
  return {
    name: 'ack-tail',
    burst,
    rounds,
    samples: botSamples.length,
    botP50Ms: round(bot50),
    botP99Ms: round(bot99),
    bareP50Ms: round(bare50),
    bareP99Ms: round(bare99),
    p99Ratio: Math.round(ratio * 100) / 100,
    perRound,
    ...(options.cpuProfileDir ? { windows } : {}),
    target: 'p99 ≤ 1.0 × bare Bolt',
    pass: ratio <= 1,
  };
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const p99 = (values: number[]) => round(percentile(sorted(values), 99));

/** CPU time (user and system) a process has used so far, from /proc (Linux; 10 ms resolution). */
function cpuMs(process: BotProcess): number {
  const stat = readFileSync(`/proc/${process.child.pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
