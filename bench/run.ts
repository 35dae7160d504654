import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { benchBot } from './bot.js';
import { benchGraphList } from './graph-list.js';

/**
 * `npm run bench`: every benchmark, then the long variants of the proof tests at full counts (CI runs smaller ones).
 * Prints the figures, writes bench/results.json, and exits 1 when a target is missed or a long variant fails.
 */
async function main(): Promise<void> {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const graphList = await benchGraphList();
  console.table([graphList]);
  const bot = await benchBot();
  console.table(bot.acks);
  console.table([bot.slowGraph, bot.throughput, bot.memory]);

  const longVariants = runLongVariants();
  const machine = {
    node: process.version,
    arch: arch(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
  };
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), machine, graphList, ...bot, longVariants }, null, 2)}\n`,
  );
  const missed = [
    ...(graphList.pass ? [] : [`graph-list: ${graphList.target}`]),
    ...bot.acks.filter((row) => !row.pass).map((row) => `${row.name} at ${row.concurrency}: ${row.target}`),
    ...[bot.slowGraph, bot.throughput, bot.memory].filter((r) => !r.pass).map((r) => r.target),
    ...(longVariants.passed ? [] : ['long variants failed']),
  ];
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
      'test/access/grammar.fuzz.test.ts',
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
