import { writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { benchGraphList } from './graph-list.js';

/** Runs every benchmark, prints a table and writes bench/results.json. Exits 1 when a target is missed. */
async function main(): Promise<void> {
  const results = [await benchGraphList()];
  const machine = {
    node: process.version,
    arch: arch(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
  };
  console.table(results);
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2)}\n`,
  );
  const missed = results.filter((result) => !result.pass);
  for (const result of missed) console.error(`target missed: ${result.name} (${result.target})`);
  process.exitCode = missed.length > 0 ? 1 : 0;
}

await main();
