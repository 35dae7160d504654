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
await app.start(Number(process.env.PORT));
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
