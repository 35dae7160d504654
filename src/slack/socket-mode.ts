import type { Logger } from '../logger.js';
import { type Backoff, backoffDelay, SLACK_BACKOFF } from './connection.js';

type Listener = (...args: unknown[]) => unknown;

/**
 * How long a new socket may go without Slack's `hello` before it is given up and opened again: the client waits for
 * it without limit, so a socket that opens but never says hello would otherwise hold the bot unconnected for good.
 */
const HELLO_TIMEOUT_MS = 30_000;
/** How long closing a socket that never said hello may take before it is left to itself. */
const STOP_TIMEOUT_MS = 5_000;

/** Slack opened no session on the socket in time. */
class NoHelloError extends Error {
  constructor(readonly waitedMs: number) {
    super(`Slack sent no hello within ${waitedMs / 1000} s`);
  }
}

/**
 * What the connection needs of Bolt's `SocketModeReceiver`: start, stop, and its client's events (`connected`,
 * `disconnected`, and `ws_message`, each message from the socket).
 */
export interface SocketReceiver {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  client: {
    on(event: string, listener: Listener): unknown;
    listeners(event: string): Listener[];
    removeListener(event: string, listener: Listener): unknown;
  };
}

/**
 * Keeps the Socket Mode connection up for as long as the bot runs: the first connection, and a new one whenever
 * the socket closes (Slack's `disconnect` message, a dropped socket, Slack down for a while), retried with backoff.
 *
 * The Socket Mode client's own reconnection is turned off (`autoReconnectEnabled: false`): when its reconnect
 * cannot reach `apps.connections.open`, it leaves the rejection unhandled and never tries again. Likewise, its
 * handler of socket messages rejects with nobody listening on an envelope it cannot read (an `events_api` envelope
 * without an event): that rejection is caught and logged here.
 */
export class SocketModeConnection {
  private live = false;
  private stopped = false;
  private connecting?: Promise<void>;
  /** Ends the wait between two attempts early (on stop). */
  private wake?: () => void;

  constructor(
    private readonly receiver: SocketReceiver,
    private readonly logger: Logger,
    private readonly backoff: Backoff = SLACK_BACKOFF,
    private readonly helloTimeoutMs = HELLO_TIMEOUT_MS,
  ) {
    receiver.client.on('connected', () => {
      this.live = true;
    });
    receiver.client.on('disconnected', () => {
      const wasLive = this.live;
      this.live = false;
      if (this.stopped) return;
      if (wasLive) this.logger.warn({}, 'Socket Mode connection closed; reconnecting');
      this.connect();
    });
    this.catchMessageFailures();
  }

  /** Whether a socket is open and Slack has said hello on it. */
  get connected(): boolean {
    return this.live;
  }

  /** Starts connecting, in the background; never rejects. */
  start(): void {
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.receiver.stop();
  }

  /** Wraps the client's one message handler so that a message it fails on is logged, not left unhandled. */
  private catchMessageFailures(): void {
    const { client } = this.receiver;
    const handlers = client.listeners('ws_message');
    if (handlers.length !== 1) return;
    const handle = handlers[0]!;
    client.removeListener('ws_message', handle);
    client.on('ws_message', (...args: unknown[]) => {
      Promise.resolve()
        .then(() => handle(...args))
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'a Socket Mode message could not be read; ignored'),
        );
    });
  }

  private connect(): void {
    if (this.stopped || this.connecting) return;
    this.connecting = this.untilConnected().finally(() => {
      this.connecting = undefined;
      // The socket may have closed again while this attempt was finishing.
      if (!this.live) this.connect();
    });
  }

  /** Tries at once, then with backoff, until connected or stopped. Never rejects. */
  private async untilConnected(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt += 1) {
      try {
        await this.startWithinHelloTimeout();
        if (this.stopped) await this.receiver.stop();
        else this.logger.info({ attempts: attempt }, 'Socket Mode connected');
        return;
      } catch (error) {
        if (this.stopped) return;
        const delayMs = backoffDelay(this.backoff, attempt);
        const code = (error as { data?: { error?: string } }).data?.error;
        const retrying = `retrying in ${(delayMs / 1000).toFixed(1)} s`;
        // An answer from Slack (e.g. invalid_auth) is a configuration problem, not an outage: say so.
        const message = code
          ? `Slack refused apps.connections.open (${code}); check SLACK_APP_TOKEN. Retrying in ${Math.round(delayMs / 1000)} s`
          : error instanceof NoHelloError
            ? `Socket Mode: ${error.message} on a new socket; ${retrying}`
            : `Slack unreachable, ${retrying}`;
        this.logger.warn({ err: error, attempt, delayMs }, message);
        await this.sleep(delayMs);
      }
    }
  }

  /** Starts the receiver; a socket on which Slack says no hello in time is closed, and the attempt fails. */
  private async startWithinHelloTimeout(): Promise<void> {
    const started = this.receiver.start();
    let timer: NodeJS.Timeout | undefined;
    const noHello = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoHelloError(this.helloTimeoutMs)), this.helloTimeoutMs);
    });
    try {
      await Promise.race([started, noHello]);
    } catch (error) {
      if (error instanceof NoHelloError) {
        // The abandoned start rejects once its socket closes: nobody waits for it any more.
        started.catch(() => {});
        await withinMs(this.receiver.stop(), STOP_TIMEOUT_MS);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Not unref'd: in Socket Mode this wait is what keeps the process alive until Slack answers. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/** Waits for `work` at most `ms`; its failure or lateness is no concern of the caller's. */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
