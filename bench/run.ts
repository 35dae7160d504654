import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, totalmem } from 'node:os';
import { benchAckTail } from './ack-tail.js';
import { benchBot } from './bot.js';
import { benchGraphCalls, graphCallsTable } from './graph-calls.js';
import { benchGraphList } from './graph-list.js';

/**
 * `npm run bench`: every benchmark, then the long variants of the proof tests at full counts (CI runs smaller ones).
 * Prints the figures, updates bench/results.json (only the parts that ran), and exits 1 when a target is missed or
 * a long variant fails.
 *
 * `npm run bench -- --only=graph-calls,acks` runs some parts: graph-calls, acks, graph-list, bot, long.
 * `--cpu-profile=<dir>` profiles the bot during the acks part (summarise with bench/profile-summary.ts).
 */
const PARTS = ['graph-calls', 'acks', 'graph-list', 'bot', 'long'] as const;
type Part = (typeof PARTS)[number];

function options(argv: string[]): { parts: Set<Part>; cpuProfileDir?: string } {
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = value('only')?.split(',').filter(Boolean) ?? [...PARTS];
  const unknown = only.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) {
    console.error(`unknown part ${unknown.join(', ')}; choose from ${PARTS.join(', ')}, e.g. --only=graph-calls,acks`);
    process.exit(2);
  }
  const cpuProfileDir = value('cpu-profile');
  return { parts: new Set(only as Part[]), ...(cpuProfileDir ? { cpuProfileDir } : {}) };
}

async function main(): Promise<void> {
  const { parts, cpuProfileDir } = options(process.argv.slice(2));
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const resultsFile = new URL('./results.json', import.meta.url);
  const results: Record<string, unknown> = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
  const missed: string[] = [];
  const date = new Date().toISOString();
  // The load before the run: other work on the machine makes timings noisy (counts are not affected).
  const machine = {
    node: process.version,
    arch: arch(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  };

  if (parts.has('graph-calls')) {
    const graphCalls = await benchGraphCalls();
    console.table(graphCallsTable(graphCalls));
    console.table(graphCalls.growth);
    results.graphCalls = { date, machine, ...graphCalls };
    for (const row of graphCalls.rows.filter((r) => !r.pass))
      missed.push(`graph-calls: ${row.operation} on ${row.roster} users made ${row.total} calls; target ${row.target}`);
    for (const g of graphCalls.growth.filter((r) => !r.pass))
      missed.push(`graph-calls: ${g.operation} grows with the roster (${g.smallest} → ${g.largest} calls)`);
  }
  if (parts.has('acks')) {
    const ackTail = await benchAckTail(cpuProfileDir ? { cpuProfileDir } : {});
    const { perRound, windows, ...summary } = ackTail;
    console.table([summary]);
    console.table(perRound);
    if (windows) console.table(windows);
    results.ackTail = { date, machine, ...ackTail };
    if (!ackTail.pass) missed.push(`acks: p99 ${ackTail.p99Ratio} × bare Bolt; target ${ackTail.target}`);
  }
  if (parts.has('graph-list')) {
    const graphList = await benchGraphList();
    console.table([graphList]);
    results.graphList = { date, ...graphList };
    if (!graphList.pass) missed.push(`graph-list: ${graphList.target}`);
  }
  if (parts.has('bot')) {
    const bot = await benchBot();
    console.table(bot.acks);
    console.table([bot.slowGraph, bot.throughput, bot.memory]);
    Object.assign(results, { botDate: date, ...bot });
    missed.push(
      ...bot.acks.filter((row) => !row.pass).map((row) => `${row.name} at ${row.concurrency}: ${row.target}`),
      ...[bot.slowGraph, bot.throughput, bot.memory].filter((r) => !r.pass).map((r) => r.target),
    );
  }
  if (parts.has('long')) {
    const longVariants = runLongVariants();
    results.longVariants = { date, ...longVariants };
    if (!longVariants.passed) missed.push('long variants failed');
  }

  writeFileSync(resultsFile, `${JSON.stringify({ ...results, date, machine }, null, 2)}\n`);
  for (const miss of missed) console.error(`target missed: ${miss}`);
  process.exitCode = missed.length > 0 ? 1 : 0;
}
/** The proof tests with the counts the issue names; REDIS_URL must be set for the Redis ones. */
function runLongVariants(): { passed: boolean; counts: Record<string, string>; summary: string[] } {
  const counts = {
    FUZZ_RUNS: '100000',
    FAULT_APPROVALS: '500',
    REPLICA_ROUNDS: '50',
    CRASH_APPROVALS: '200',
    MALFORMED_RUNS: '500',
  };
  const run = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      'test/slack/command-grammar.fuzz.test.ts',
      'test/slack/command.fuzz.test.ts',
      'test/e2e/malformed.test.ts',
      'test/access/graph-faults.test.ts',
      'test/e2e/replicas.test.ts',
      'test/e2e/crash-recovery.test.ts',
      '--testTimeout=600000',
    ],
    { env: { ...process.env, ...counts, NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  process.stdout.write(output);
  const summary = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(graph faults|crash recovery)|^Tests\s+\d/.test(line));
  return { passed: run.status === 0, counts, summary };
}

await main();
