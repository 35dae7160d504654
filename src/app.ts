import { App, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { boltLogger } from './slack/bolt-logger.js';
import { SlackConnection } from './slack/connection.js';
import { VerifiedRequestReceiver } from './slack/receiver.js';
import { SocketModeConnection } from './slack/socket-mode.js';

/** Slack Web API retries: short, because a person is waiting (the client's default can wait ~30 minutes). */
const WEB_API_RETRY = { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 };
/** A Slack call that has not answered in this long is given up (the client has no limit of its own). */
const WEB_API_TIMEOUT_MS = 10_000;

export interface BoltApp {
  app: App;
  /** HTTP mode: the receiver that hands Bolt the requests the caller's HTTP server has verified and parsed. */
  receiver?: VerifiedRequestReceiver;
  /** Learns the bot's identity from Slack (`auth.test`) with retries; the caller starts it. */
  connection: SlackConnection;
  /** Socket Mode: keeps the socket to Slack open, reconnecting when it closes; the caller starts it. */
  socket?: SocketModeConnection;
}

/**
 * The Bolt app: HTTP mode behind our own server (which checks request signatures), or Socket Mode when an app-level token is configured. Wiring
 * only; listeners are registered by the caller, and the HTTP server is the caller's (src/http/server.ts).
 *
 * The app authorizes with the bot token through `SlackConnection` rather than Bolt's `token` option: with `token`,
 * Bolt calls `auth.test` in its constructor and leaves the rejection unhandled when Slack is unreachable.
 */
export function createBoltApp(config: Config, logger: Logger): BoltApp {
  const log = boltLogger(logger);
  const clientOptions: webApi.WebClientOptions = {
    retryConfig: WEB_API_RETRY,
    timeout: WEB_API_TIMEOUT_MS,
    ...(config.slack.apiUrl ? { slackApiUrl: withTrailingSlash(config.slack.apiUrl) } : {}),
  };
  // The bot's own client, for work outside a request (notifications, sweeps); listeners get one from Bolt.
  const client = new webApi.WebClient(config.slack.botToken, { ...clientOptions, logger: log });
  const connection = new SlackConnection(client, config.slack.botToken, logger.child({ component: 'slack' }));
  const common = {
    authorize: connection.authorize,
    logger: log,
    // Bolt's conversation store keeps per-channel context this bot never reads: skip the work.
    convoStore: false as const,
    clientOptions,
  };
  let app: App;
  let receiver: VerifiedRequestReceiver | undefined;
  let socket: SocketModeConnection | undefined;
  if (config.slack.appToken) {
    const socketReceiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: log,
      // Reconnecting is SocketModeConnection's: the client's own leaves a failed reconnect unhandled, for good.
      autoReconnectEnabled: false,
      installerOptions: { clientOptions },
    });
    app = new App({ ...common, receiver: socketReceiver });
    socket = new SocketModeConnection(socketReceiver, logger.child({ component: 'slack' }));
  } else {
    // Our HTTP server (src/http/server.ts) is the only way in: it checks the signature on the raw bytes and parses
    // the body once; the receiver answers as soon as a listener acks, and slow work continues after.
    receiver = new VerifiedRequestReceiver(logger.child({ component: 'slack' }));
    app = new App({ ...common, receiver });
  }
  app.client = client;
  return { app, receiver, connection, socket };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
