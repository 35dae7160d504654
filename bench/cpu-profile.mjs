// Preloaded with `node --import` (through NODE_OPTIONS, where Node 20 refuses --cpu-prof): profiles the process
// from start to SIGTERM and writes a .cpuprofile into CPU_PROFILE_DIR, for bench/profile-summary.ts to read.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
// Sample every 200 µs: bursts last a few hundred milliseconds, so the default 1 ms is too coarse.
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.once('SIGTERM', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    writeFileSync(
      join(process.env.CPU_PROFILE_DIR ?? '.', `bot-${process.pid}.cpuprofile`),
      JSON.stringify(result.profile),
    );
  });
});
