import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionBody, sendSigned } from '../../sandbox/slack/requests.js';
import { BODY_LIMIT_BYTES } from '../../src/http/slack-body.js';
import { ACTION } from '../../src/slack/ids.js';
import { ANN, Harness, SIGNING_SECRET } from '../support/harness.js';

/** Block Kit's limits for a message: 50 blocks, 3,000 characters of section text. */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3_000;

/** Section text as the bot writes it: mentions, markup, a Meta name with accents, a date token, an escaped `&`. */
const LINE =
  '*<@U0LEAD0001> asks* to grant `MESSAGING, VIEW_TEMPLATES` to José Peña (300000000000001) on *support* for 4h — ' +
  '“covering the queue &amp; backlog” :white_check_mark: ' +
  '<!date^1764489600^{date_short_pretty} at {time}|2025-11-30 08:00 UTC>\n';

/** The largest click Slack can send this app: Approve on a message with 50 full section blocks. */
function largestClick(): string {
  const text = LINE.repeat(Math.ceil(MAX_SECTION_TEXT / LINE.length)).slice(0, MAX_SECTION_TEXT);
  const blocks = Array.from({ length: MAX_BLOCKS }, (_, index) => ({
    type: 'section',
    block_id: `b${index}`,
    text: { type: 'mrkdwn', text, verbatim: false },
  }));
  return blockActionBody({
    actionId: ACTION.approve,
    value: 'req_00000000000000000000',
    userId: ANN,
    channelId: 'CAPPROVALS',
    channelName: 'waba-approvals',
    messageTs: '1764489600.000100',
    responseUrl: 'https://hooks.slack.com/actions/T0TEST/1234567890123/abcdefghijklmnopqrstuvwx',
    message: { text: 'Access request: grant MESSAGING to José Peña', blocks },
  });
}

describe('the body limit', () => {
  it('fits Slack’s largest real payload, measured, with room to spare', () => {
    const size = Buffer.byteLength(largestClick());
    // The number written next to BODY_LIMIT_BYTES and in the README.
    expect(size).toBeGreaterThan(211_930 * 0.99);
    expect(size).toBeLessThan(211_930 * 1.01);
    expect(size * 2).toBeLessThan(BODY_LIMIT_BYTES);
  });

  describe('on the wire', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.start();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('lets that payload through to the bot, signed, and refuses one byte over the limit with 413', async () => {
      const body = largestClick();
      const click = await sendSigned(h.eventsUrl, SIGNING_SECRET, body);
      // Bolt acked it: a listener ran (the request id is unknown, so the answer goes to the response URL).
      expect(click.status).toBe(200);

      const over = `payload=${'x'.repeat(BODY_LIMIT_BYTES + 1 - 'payload='.length)}`;
      expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, over)).status).toBe(413);
      const atLimit = `payload=${'x'.repeat(BODY_LIMIT_BYTES - 'payload='.length)}`;
      // At the limit the body is read, checked and parsed: not JSON, so Bolt's own 400.
      expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, atLimit)).status).toBe(400);
    });
  });
});
