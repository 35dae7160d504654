import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

/**
 * Sends a burst of prepared (already signed) Slack requests at once and times each answer. It runs in its own
 * thread so that the fakes' work in the main thread cannot delay reading the answers.
 */
parentPort!.on('message', async ({ url, bodies }: { url: string; bodies: string[] }) => {
  const latencies = await Promise.all(
    bodies.map(async (body) => {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: JSON.parse(body.slice(0, body.indexOf('\n'))),
        body: body.slice(body.indexOf('\n') + 1),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
      return performance.now() - started;
    }),
  );
  // When the last answer came, on the wall clock (epoch ms), so the caller can line it up with the fakes' records.
  parentPort!.postMessage({ latencies, lastAnsweredAt: performance.timeOrigin + performance.now() });
});
