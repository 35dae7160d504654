import { App } from '@slack/bolt';

/** The yardstick: a Bolt app that only acknowledges, with the same signing and the same receiver. */
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  customRoutes: [{ path: '/healthz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('{"ok":true}') }],
});
app.command('/waba', async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());
const server = (await app.start(Number(process.env.PORT))) as import('node:http').Server;
// The same keep-alive as the bot's server, so both are measured on equal connections.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
