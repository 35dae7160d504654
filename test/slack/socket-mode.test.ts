import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SocketModeConnection, type SocketReceiver } from '../../src/slack/socket-mode.js';
import { eventually } from '../support/harness.js';

/**
 * A stand-in for Bolt's SocketModeReceiver: each `start` is answered by the next outcome (connect, or fail), the way
 * the Socket Mode client emits `connected` before `start` resolves and `disconnected` when a socket closes.
 */
class FakeReceiver implements SocketReceiver {
  readonly client = new EventEmitter() as unknown as SocketReceiver['client'] & EventEmitter;
  starts = 0;
  stops = 0;
  outcomes: Array<'connect' | 'fail' | 'close-while-connecting' | 'no-hello'> = [];
  /** Rejects the start waiting for a hello that never comes, as the client does when its socket closes. */
  private closeSilent?: () => void;

  async start(): Promise<void> {
    this.starts += 1;
    const outcome = this.outcomes.shift() ?? 'connect';
    if (outcome === 'no-hello')
      return new Promise((_, reject) => {
        this.closeSilent = () => reject(new Error('socket closed'));
      });
    if (outcome === 'fail') throw Object.assign(new Error('fetch failed'), { code: 'slack_webapi_request_error' });
    this.client.emit('connected');
    // The socket closes again before the caller hears that it opened.
    if (outcome === 'close-while-connecting') this.client.emit('disconnected');
  }

  async stop(): Promise<void> {
    this.stops += 1;
    this.closeSilent?.();
    this.closeSilent = undefined;
    this.client.emit('disconnected');
  }

  /** Slack sent `disconnect`, or the socket dropped. */
  drop(): void {
    this.client.emit('disconnected');
  }
}

const lines: string[] = [];
const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
const FAST = { firstMs: 5, maxMs: 20 };

describe('SocketModeConnection', () => {
  let connection: SocketModeConnection | undefined;
  afterEach(async () => {
    await connection?.stop();
    lines.length = 0;
  });

  it('retries a failed connection with backoff until Slack answers, saying so', async () => {
    const receiver = new FakeReceiver();
    receiver.outcomes = ['fail', 'fail', 'connect'];
    connection = new SocketModeConnection(receiver, logger, FAST);

    connection.start();

    await eventually(() => connection!.connected);
    expect(receiver.starts).toBe(3);
    expect(lines.filter((line) => line.includes('Slack unreachable, retrying in'))).toHaveLength(2);
    expect(lines.at(-1)).toContain('"attempts":3');
  });

  it('gives up a socket on which Slack says no hello, closes it, and opens another', async () => {
    const receiver = new FakeReceiver();
    receiver.outcomes = ['no-hello', 'connect'];
    connection = new SocketModeConnection(receiver, logger, FAST, 50);
    connection.start();

    await eventually(() => connection!.connected);
    expect(receiver.starts).toBe(2);
    expect(receiver.stops).toBe(1);
    expect(lines.some((line) => line.includes('Socket Mode: Slack sent no hello within 0.05 s on a new socket'))).toBe(
      true,
    );
  });

  it('reconnects whenever the socket closes, and keeps at it through an outage', async () => {
    const receiver = new FakeReceiver();
    connection = new SocketModeConnection(receiver, logger, FAST);
    connection.start();
    await eventually(() => connection!.connected);

    receiver.outcomes = ['fail', 'fail', 'fail', 'connect'];
    receiver.drop();

    expect(connection.connected).toBe(false);
    await eventually(() => connection!.connected);
    expect(receiver.starts).toBe(5);
    expect(lines.some((line) => line.includes('Socket Mode connection closed; reconnecting'))).toBe(true);
  });

  it('connects again when the socket closes while an attempt is finishing', async () => {
    const receiver = new FakeReceiver();
    receiver.outcomes = ['close-while-connecting', 'connect'];
    connection = new SocketModeConnection(receiver, logger, FAST);

    connection.start();

    await eventually(() => receiver.starts === 2 && connection!.connected);
  });

  it('names a refused app token instead of calling it an outage', async () => {
    const receiver = new FakeReceiver();
    receiver.start = async () => {
      receiver.starts += 1;
      throw Object.assign(new Error('An API error occurred: invalid_auth'), { data: { error: 'invalid_auth' } });
    };
    connection = new SocketModeConnection(receiver, logger, FAST);

    connection.start();

    await eventually(() => receiver.starts >= 2);
    expect(lines[0]).toContain('Slack refused apps.connections.open (invalid_auth); check SLACK_APP_TOKEN');
  });

  it('logs a socket message the client fails on, instead of leaving its rejection unhandled', async () => {
    const receiver = new FakeReceiver();
    const read: unknown[] = [];
    receiver.client.on('ws_message', async (data: unknown) => {
      read.push(data);
      throw new TypeError("Cannot read properties of undefined (reading 'type')");
    });
    connection = new SocketModeConnection(receiver, logger, FAST);

    receiver.client.emit('ws_message', '{"type":"events_api","payload":{}}', false);

    await eventually(() => lines.some((line) => line.includes('a Socket Mode message could not be read; ignored')));
    expect(read).toEqual(['{"type":"events_api","payload":{}}']);
    expect(receiver.client.listenerCount('ws_message')).toBe(1);
  });

  it('stops reconnecting once stopped, even in the middle of waiting', async () => {
    const receiver = new FakeReceiver();
    receiver.outcomes = ['fail'];
    connection = new SocketModeConnection(receiver, logger, { firstMs: 60_000, maxMs: 60_000 });
    connection.start();
    await eventually(() => receiver.starts === 1 && lines.length === 1);

    const stopping = connection.stop();
    await stopping;

    expect(receiver.stops).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.starts).toBe(1);
    expect(connection.connected).toBe(false);
    connection = undefined;
  });
});
