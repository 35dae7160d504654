import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { sendSigned } from '../../sandbox/slack/requests.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import { Harness, SIGNING_SECRET } from '../support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const ourIds = fc.constantFrom(...Object.values(ACTION), ...Object.values(VIEW), 'nope', '');
const interaction = fc.record({
  type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'message_action', 'nonsense'),
  user: fc.option(fc.record({ id: fc.oneof(fc.constantFrom('UANN', 'ULEAD'), fc.string()) }), { nil: undefined }),
  actions: fc.option(
    fc.array(
      fc.record({
        action_id: ourIds,
        value: fc.oneof(fc.string(), fc.constant(undefined)),
        type: fc.constant('button'),
      }),
      { maxLength: 3 },
    ),
    { nil: undefined },
  ),
  view: fc.option(
    fc.record({
      callback_id: ourIds,
      private_metadata: fc.string(),
      state: fc.record({ values: fc.dictionary(fc.string(), fc.jsonValue()) }),
    }),
    { nil: undefined },
  ),
  trigger_id: fc.string(),
});

/** Signed (so they pass verification) but otherwise anything: random forms, random JSON, broken interactions. */
const body = fc.oneof(
  fc
    .dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 }))
    .map((fields) => new URLSearchParams(fields).toString()),
  fc.jsonValue().map((value) => new URLSearchParams({ payload: JSON.stringify(value) }).toString()),
  interaction.map((value) => new URLSearchParams({ payload: JSON.stringify(value) }).toString()),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .record({
      command: fc.constantFrom('/waba', '/other'),
      text: fc.string(),
      user_id: fc.string(),
      channel_id: fc.string(),
    })
    .map((fields) => new URLSearchParams(fields).toString()),
);

describe('malformed Slack payloads', () => {
  it('are answered without a crash, without a Graph write, and the bot stays healthy', async () => {
    h = await Harness.start();
    const bodies = fc.sample(body, { numRuns: Number(process.env.MALFORMED_RUNS ?? 150), seed: 42 });
    const statuses = await Promise.all(
      bodies.map(async (raw) => (await sendSigned(h.eventsUrl, SIGNING_SECRET, raw)).status),
    );
    // 500 is Bolt's own answer to payload types it cannot route (e.g. a `message_action` without a user).
    for (const status of statuses) expect([200, 400, 401, 404, 500]).toContain(status);
    // Bolt may fail on nonsense, but none of our listeners may throw on it (Bolt logs those as after-ack errors).
    const ours = h.logs.filter(
      (line) => /"level":50/.test(line) && /error occurred after ack\(\) called in a listener/.test(line),
    );
    expect(ours).toEqual([]);
    expect(h.graph.writes()).toEqual([]);
    expect((await fetch(h.eventsUrl.replace('/slack/events', '/healthz'))).status).toBe(200);
    expect((await h.command('help')).status).toBe(200);
  });
});

describe('buttons, forms and commands the bot does not know', () => {
  it('are not acknowledged (404), however their ids are spelt, and leave the bot serving', async () => {
    h = await Harness.start();
    const click = (actionId: string) =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: 'UANN' },
          trigger_id: '1.2.3',
          actions: [{ type: 'button', action_id: actionId, block_id: 'b', value: 'x' }],
        }),
      }).toString();
    const form = (callbackId: string) =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'view_submission',
          user: { id: 'UANN' },
          view: { id: 'V1', callback_id: callbackId, private_metadata: '', state: { values: {} } },
        }),
      }).toString();
    const ids = ['waba_nope', 'waba___proto__', '__proto__', 'constructor', 'waba_toString', 'other_app_button'];
    for (const id of ids) {
      expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, click(id))).status, id).toBe(404);
      expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, form(id))).status, id).toBe(404);
    }
    // Another app's slash command, sent here by mistake, is not ours to answer either.
    const other = new URLSearchParams({ command: '/other', text: 'help', user_id: 'UANN', channel_id: 'C1' });
    expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, other.toString())).status).toBe(404);
    // A known button still reaches its handler through the same table.
    const known = await sendSigned(h.eventsUrl, SIGNING_SECRET, click(ACTION.approve));
    expect(known.status).toBe(200);
    expect(h.graph.writes()).toEqual([]);
  });
});
