import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../../sandbox/slack/requests.js';
import { ACTION } from '../../src/slack/ids.js';
import {
  ALICE,
  ANN,
  APP_SECRET,
  BOT_TOKEN,
  eventually,
  Harness,
  META_TOKEN,
  SIGNING_SECRET,
} from '../support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

describe('request signing', () => {
  it('answers 401 to a bad signature and a stale timestamp, and does nothing', async () => {
    h = await Harness.start();
    const callsBefore = h.slack.calls.length;

    const forged = await h.command(`grant ${ALICE} MESSAGING`, ANN, 'CTEAM', {
      signature: sign('wrong-secret', Math.floor(Date.now() / 1000), 'x'),
    });
    expect(forged.status).toBe(401);

    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const old = await h.command(`grant ${ALICE} MESSAGING`, ANN, 'CTEAM', { timestamp: stale });
    expect(old.status).toBe(401);

    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.slack.calls.slice(callsBefore).filter((call) => call.method !== 'auth.test')).toEqual([]);
    expect(h.slack.responses).toEqual([]);
    expect(h.graph.calls).toEqual([]);
    expect(await h.bot!.store.repository.openIds()).toEqual([]);
  });

  it('accepts the same request correctly signed', async () => {
    h = await Harness.start();
    const ok = await h.command('help');
    expect(ok.status).toBe(200);
  });
});

describe('secrets', () => {
  it('never writes a token or secret into logs or Slack messages, even when Meta rejects the token', async () => {
    h = await Harness.start({ env: { META_ACCESS_TOKEN: `${META_TOKEN}-revoked` } });
    const reply = await h.command(`grant ${ALICE} MESSAGING`);
    // The token is wrong, so even reading the roster fails: the requester sees a configuration problem.
    const answer = JSON.stringify(await eventually(() => h.responses(reply.responseId)[0]));
    expect(answer).toContain('configuration problem');
    expect(answer).toContain('META_ACCESS_TOKEN');

    const everything = [
      ...h.logs,
      // What the bot sent Slack; the credential itself (header, or `token` argument) is where the bot token belongs.
      JSON.stringify(h.slack.calls.map(({ method, args: { token: _credential, ...args } }) => ({ method, args }))),
      JSON.stringify(h.slack.responses),
      JSON.stringify(h.graph.calls.map((call) => call.path + JSON.stringify(call.query))),
    ].join('\n');
    // The failure is logged, with Meta's error, so there was something to leak.
    expect(h.logs.some((line) => line.includes('"code":190'))).toBe(true);
    for (const secret of [META_TOKEN, BOT_TOKEN, SIGNING_SECRET, APP_SECRET]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('health', () => {
  it('serves /healthz while the store answers', async () => {
    h = await Harness.start();
    const response = await fetch(h.eventsUrl.replace('/slack/events', '/healthz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });
});

describe('clicks on approval messages', () => {
  it('are verified too', async () => {
    h = await Harness.start();
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    const forged = await h.click(approval!, ACTION.approve, ANN, undefined, { signature: 'v0=00' });
    expect(forged.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.graph.writes()).toEqual([]);
  });
});
