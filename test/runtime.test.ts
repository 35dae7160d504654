import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** Sends one keep-alive request on `socket` and resolves with the status line of the answer. */
function ask(socket: ReturnType<typeof connect>, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\r\n')[0] ?? ''));
    socket.once('error', reject);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('the HTTP server', () => {
  it('keeps an idle connection open past Node’s 5 s default, so a load balancer never reuses a closed one', async () => {
    h = await Harness.start();
    const port = h.bot!.port!;
    const socket = connect(port, '127.0.0.1');
    let closedAt: number | undefined;
    socket.on('close', () => {
      closedAt = Date.now();
    });
    expect(await ask(socket, port)).toBe('HTTP/1.1 200 OK');

    // Node closes an idle connection 5–6 s after its last answer unless told otherwise.
    await sleep(7_000);
    expect(closedAt).toBeUndefined();
    expect(await ask(socket, port)).toBe('HTTP/1.1 200 OK');
    socket.destroy();
  });
});
