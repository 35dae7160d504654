import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { GraphClient } from '../src/graph/client.js';

export interface GraphListResult {
  name: 'graph-list';
  users: number;
  pages: number;
  latencyMs: number;
  /** Median of the measured runs; the fastest and slowest beside it. */
  wallMs: number;
  wallMinMs: number;
  wallMaxMs: number;
  runs: number;
  idealMs: number;
  ratio: number;
  calls: number;
  peakRssMb: number;
  target: string;
  pass: boolean;
}

/** Lists every user of a 10,000-user WABA (100 pages) with 20 ms of latency per Graph call, `runs` times. */
export async function benchGraphList(users = 10_000, latencyMs = 20, runs = 5): Promise<GraphListResult> {
  // Graph lives on another machine; its fake gets its own thread so serving pages is not billed to the client.
  const worker = new Worker(new URL('./fake-graph-thread.mjs', import.meta.url), {
    workerData: { users, latencyMs },
  });
  const [{ url }] = (await once(worker, 'message')) as [{ url: string }];
  const client = new GraphClient({ baseUrl: url, accessToken: 'bench' });
  try {
    // One warm-up page so connection set-up and JIT are not billed to the run.
    for await (const _page of client.assignedUsers({ wabaId: '1', businessId: '2', limit: 1 })) break;
    const callsBefore = client.callCount;

    const walls: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const roster = await client.listAssignedUsers({ wabaId: '1', businessId: '2', limit: 100 });
      walls.push(performance.now() - started);
      if (roster.users.length !== users) throw new Error(`listed ${roster.users.length} of ${users} users`);
    }
    walls.sort((a, b) => a - b);
    const wallMs = walls[Math.floor(walls.length / 2)]!;
    const pages = Math.ceil(users / 100);
    const idealMs = pages * latencyMs;
    const ratio = wallMs / idealMs;
    return {
      name: 'graph-list',
      users,
      pages,
      latencyMs,
      wallMs: Math.round(wallMs),
      wallMinMs: Math.round(walls[0]!),
      wallMaxMs: Math.round(walls.at(-1)!),
      runs,
      idealMs,
      ratio: Math.round(ratio * 1000) / 1000,
      calls: (client.callCount - callsBefore) / runs,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      target: 'median wall ≤ 1.1 × pages × latency',
      pass: ratio <= 1.1,
    };
  } finally {
    await client.close();
    worker.postMessage('stop');
    await once(worker, 'exit');
  }
}
