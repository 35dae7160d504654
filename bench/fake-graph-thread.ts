import { parentPort, workerData } from 'node:worker_threads';
import { seededGraph } from '../sandbox/fake-graph.js';

/** Hosts a seeded fake Graph in its own thread, so serving pages does not steal time from the client measured. */
const { users, latencyMs } = workerData as { users: number; latencyMs: number };
const graph = seededGraph({ accessToken: 'bench', wabaId: '1', businessId: '2', userCount: users, latencyMs });
const url = await graph.start();
parentPort!.postMessage({ url });
parentPort!.on('message', async (message: string) => {
  if (message === 'stop') {
    await graph.stop();
    parentPort!.close();
  }
});
