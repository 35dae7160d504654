import { App, HTTPReceiver } from '@slack/bolt';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { boltLogger } from './slack/bolt-logger.js';

/** Slack Web API retries: short, because a person is waiting (the client's default can wait ~30 minutes). */
const WEB_API_RETRY = { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 };

export interface BoltApp {
  app: App;
  /** HTTP mode: the receiver whose `requestListener` serves Slack; the caller runs the HTTP server. */
  receiver?: HTTPReceiver;
}

/**
 * The Bolt app: HTTP mode with request signing on (`POST /slack/events`, `GET /healthz`), or Socket Mode when an
 * app-level token is configured. Wiring only; listeners are registered by the caller.
 */
export function createBoltApp(config: Config, logger: Logger, healthy: () => Promise<boolean>): BoltApp {
  const common = {
    token: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    logger: boltLogger(logger),
    // Bolt's conversation store keeps per-channel context this bot never reads: skip the work.
    convoStore: false as const,
    clientOptions: {
      retryConfig: WEB_API_RETRY,
      ...(config.slack.apiUrl ? { slackApiUrl: withTrailingSlash(config.slack.apiUrl) } : {}),
    },
  };
  if (config.slack.appToken) {
    return { app: new App({ ...common, socketMode: true, appToken: config.slack.appToken }) };
  }
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret,
    logger: common.logger,
    // Respond to Slack as soon as a listener acks; slow work continues after.
    processBeforeResponse: false,
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          void healthy().then((ok) => {
            res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ ok }));
          });
        },
      },
    ],
  });
  const { signingSecret: _verifiedByReceiver, ...appOptions } = common;
  return { app: new App({ ...appOptions, receiver }), receiver };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
