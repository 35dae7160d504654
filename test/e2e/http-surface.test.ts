import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/sandbox.js';
import { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { BODY_LIMIT_BYTES } from '../../src/http/slack-body.js';
import { BotProcess, ensureBuilt } from '../support/bot-process.js';
import {
  BOT_TOKEN,
  BUSINESS_ID,
  defaultGraph,
  fakeConnections,
  META_TOKEN,
  SIGNING_SECRET,
  WABA_ID,
} from '../support/harness.js';
import { Relay } from '../support/relay.js';

/** One raw HTTP exchange (node:http does not normalise paths the way fetch does); the status, or the socket error. */
function exchange(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string | number>; body?: Buffer | Buffer[] } = {},
): Promise<{ status?: number; allow?: string; text: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow, text }));
      res.on('error', (error) => resolve({ status: res.statusCode, text, error: error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ text: '', error: error.code ?? error.message }));
    const chunks = options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body];
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const now = () => Math.floor(Date.now() / 1000);
/** Headers shaped like Slack's, with a fresh timestamp, but a signature nobody computed. */
const forgedHeaders = () => ({
  'content-type': 'application/x-www-form-urlencoded',
  'x-slack-request-timestamp': now(),
  'x-slack-signature': `v0=${'ab'.repeat(32)}`,
});

describe('the built bot’s HTTP surface', () => {
  const graph = defaultGraph();
  const slack = new SlackEmulator({ signingSecret: SIGNING_SECRET });
  let bot: BotProcess;
  let main: string;

  beforeAll(async () => {
    main = await ensureBuilt();
    await graph.start();
    await slack.start();
    bot = await BotProcess.start(
      {
        ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port: await freePort() }),
        WABA_ID,
        META_BUSINESS_ID: BUSINESS_ID,
        APPROVER_IDS: 'UANN',
        STORE_URL: 'sqlite://./data/store.sqlite',
      },
      undefined,
      main,
    );
  }, 180_000);

  afterAll(async () => {
    await bot?.kill();
    await slack.stop();
    await graph.stop();
  });

  it('answers every method on every path with the right status, and stays up', async () => {
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
    const longPath = `/${'a'.repeat(10_000)}`;
    const expected = (method: string, path: string): { status: number; allow?: string } => {
      if (path === '/slack/events') return method === 'POST' ? { status: 401 } : { status: 405, allow: 'POST' };
      if (['/healthz', '/livez', '/metrics'].includes(path))
        return ['GET', 'HEAD'].includes(method) ? { status: 200 } : { status: 405, allow: 'GET, HEAD' };
      return { status: 404 };
    };
    const paths = [
      '/',
      '/favicon.ico',
      '/x',
      '/slack/events',
      '/healthz',
      '/livez',
      '/metrics',
      '/metrics/',
      '/slack/events/../x',
      longPath,
      '/healthz?probe=1',
    ];
    for (const method of methods) {
      for (const path of paths) {
        const answer = await exchange(bot.port, method, path);
        const want = expected(method, path.split('?')[0]!);
        expect({ method, path: path.slice(0, 40), status: answer.status, allow: answer.allow }).toEqual({
          method,
          path: path.slice(0, 40),
          status: want.status,
          allow: want.allow,
        });
      }
    }
    // Hostile shapes: a path past Node's 16 KB header limit, an absolute-form URL, a body on a GET, a made-up method.
    expect((await exchange(bot.port, 'GET', `/${'b'.repeat(20_000)}`)).status).toBe(431);
    expect((await exchange(bot.port, 'GET', 'http://elsewhere.example/healthz')).status).toBe(200);
    expect(
      (await exchange(bot.port, 'GET', '/x', { headers: { 'content-length': 5 }, body: Buffer.from('hello') })).status,
    ).toBe(404);
    expect((await exchange(bot.port, 'PROPFIND', '/slack/events')).status).toBe(405);
    expect(await rawStatus(bot.port, 'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 404 Not Found');
    expect(await rawStatus(bot.port, 'BREW /pot HTCPCP/1.0\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await rawStatus(bot.port, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(
      'HTTP/1.1 405 Method Not Allowed',
    );
    // A client that asks first is told at once, not invited to upload what would be thrown away.
    const now = Math.floor(Date.now() / 1000);
    const asks = (path: string, length: number) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Slack-Signature: v0=aa\r\n` +
      `X-Slack-Request-Timestamp: ${now}\r\nContent-Length: ${length}\r\n\r\n`;
    expect(await rawStatus(bot.port, asks('/slack/events', 600_000))).toBe('HTTP/1.1 413 Payload Too Large');
    expect(await rawStatus(bot.port, asks('/x', 10))).toBe('HTTP/1.1 404 Not Found');
    expect(await rawStatus(bot.port, asks('/slack/events', 10))).toBe('HTTP/1.1 100 Continue');

    expect(bot.alive).toBe(true);
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ready' });
    expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
  });

  it('refuses 50 concurrent 4 MB unsigned bodies, and lying or chunked ones, without buffering them', async () => {
    const before = bot.memoryMb().rss;
    const fourMb = Buffer.alloc(4 * 1024 * 1024, 'a');
    const unsigned = Array.from({ length: 50 }, () =>
      exchange(bot.port, 'POST', '/slack/events', {
        headers: { 'content-type': 'application/json', 'content-length': fourMb.length },
        body: fourMb,
      }),
    );
    // Signature headers that look right, so the body must be read: the length gives it away at once…
    const declared = Array.from({ length: 5 }, () =>
      exchange(bot.port, 'POST', '/slack/events', {
        headers: { ...forgedHeaders(), 'content-length': fourMb.length },
        body: fourMb,
      }),
    );
    // …a chunked body is counted as it comes and cut off past the limit…
    const chunked = Array.from({ length: 5 }, () =>
      exchange(bot.port, 'POST', '/slack/events', {
        headers: { ...forgedHeaders(), 'transfer-encoding': 'chunked' },
        body: Array.from({ length: 64 }, () => fourMb.subarray(0, 64 * 1024)),
      }),
    );
    // …and a small Content-Length followed by more bytes than it says leaves the extra as a bad next request.
    const lying = Array.from({ length: 5 }, () => rawStatus(bot.port, lyingRequest(fourMb.subarray(0, 1024 * 1024))));
    const statuses = (await Promise.all([...unsigned, ...declared, ...chunked])).map((answer) => answer.status);
    expect(statuses.slice(0, 50)).toEqual(Array(50).fill(401));
    expect(statuses.slice(50)).toEqual(Array(10).fill(413));
    // Unsigned, so 401; or, when the extra bytes are parsed first, 400 for them as a malformed next request.
    for (const status of await Promise.all(lying))
      expect(['HTTP/1.1 401 Unauthorized', 'HTTP/1.1 400 Bad Request']).toContain(status);

    expect(bot.alive).toBe(true);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    // The 50 bodies are 200 MB. What may be held is 10 bodies at the limit (5 MB) plus sockets' buffers and the
    // garbage of reading and dropping the rest, which grows RSS by 40–90 MB (Node 20 and 24, quiet or loaded). So
    // the peak may rise by less than half the bodies over where it was before, and stays within the 256 MiB the
    // README gives a container.
    const { peak } = bot.memoryMb();
    expect(peak - before).toBeLessThan(100);
    expect(peak).toBeLessThan(256);
    expect(BODY_LIMIT_BYTES).toBeLessThan(fourMb.length);
    expect(bot.output.join('')).not.toMatch(/BUG|uncaught|unhandled/i);
  });
});

describe('/healthz with the store unreachable', () => {
  let relay: Relay | undefined;
  let bot: BotProcess;
  const slack = new SlackEmulator({ signingSecret: SIGNING_SECRET });
  const redis = process.env.REDIS_URL;

  afterAll(async () => {
    await bot?.kill();
    await relay?.stop();
    await slack.stop();
  });

  it.skipIf(!redis)(
    'answers 503 within a second when Redis stops answering, and 200 when it is back',
    async () => {
      const main = await ensureBuilt();
      await slack.start();
      // A relay to Redis that the test can cut: Redis itself is shared with other tests.
      const target = new URL(redis!);
      relay = await new Relay({ hostname: target.hostname, port: Number(target.port || 6379) }).start();
      bot = await BotProcess.start(
        {
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.apiUrl,
          PORT: String(await freePort()),
          META_ACCESS_TOKEN: META_TOKEN,
          WABA_ID,
          META_BUSINESS_ID: BUSINESS_ID,
          APPROVER_IDS: 'UANN',
          STORE_URL: `redis://127.0.0.1:${relay.port}`,
          STORE_NAMESPACE: `health-${Math.random().toString(36).slice(2, 8)}`,
        },
        undefined,
        main,
      );
      relay.sever();

      for (let i = 0; i < 3; i += 1) {
        const started = Date.now();
        const response = await fetch(`${bot.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({ status: 'unavailable', waiting_for: ['store'] });
      }
      // Alive all the same (a liveness probe must not restart the bot for Redis' sake), and the scrape says the
      // store's counts are unknown, within its budget of a second.
      expect((await fetch(`${bot.url}/livez`)).status).toBe(200);
      const started = Date.now();
      const scrape = await (await fetch(`${bot.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(scrape).toMatch(/^waba_access_open_requests nan$/im);
      relay.restore();
      await expect.poll(async () => (await fetch(`${bot.url}/healthz`)).status, { timeout: 10_000 }).toBe(200);
      expect(bot.alive).toBe(true);
    },
    60_000,
  );

  it('answers 503 "starting" within a second while the store cannot be opened at all', async () => {
    const main = await ensureBuilt();
    const closed = await freePort();
    const starting = await BotProcess.start(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/`,
        PORT: String(await freePort()),
        META_ACCESS_TOKEN: META_TOKEN,
        WABA_ID,
        META_BUSINESS_ID: BUSINESS_ID,
        APPROVER_IDS: 'UANN',
        STORE_URL: `redis://127.0.0.1:${closed}`,
      },
      undefined,
      main,
      'listening',
    );
    try {
      const started = Date.now();
      const response = await fetch(`${starting.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'starting', waiting_for: ['store', 'slack'] });
      // Slack's requests are checked, then told to come back.
      expect((await exchange(starting.port, 'POST', '/slack/events')).status).toBe(401);
      expect((await exchange(starting.port, 'GET', '/livez')).status).toBe(200);
      const scrape = await exchange(starting.port, 'GET', '/metrics');
      expect(scrape.status).toBe(200);
      // Unknown, not 0 (prom-client writes NaN as `Nan`, which Prometheus reads regardless of case).
      expect(scrape.text).toMatch(/^waba_access_live_grants nan$/im);
      expect(starting.alive).toBe(true);
    } finally {
      await starting.kill();
    }
  });
});

/** Writes raw bytes on a new connection; resolves with the first status line. */
function rawStatus(port: number, raw: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n')) {
        resolve(seen.split('\r\n')[0]!);
        socket.destroy();
      }
    });
    socket.on('error', () => resolve(seen.split('\r\n')[0] || 'reset'));
    socket.on('close', () => resolve(seen.split('\r\n')[0] || 'closed'));
    socket.write(raw);
  });
}

/** A request that says its body is 10 bytes, then sends `extra` as well. */
function lyingRequest(extra: Buffer): Buffer {
  const head = 'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n';
  return Buffer.concat([Buffer.from(head), Buffer.from('{"a":"bc"}'), extra]);
}
