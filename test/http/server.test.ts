import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, sign } from '../../sandbox/slack/requests.js';
import { Harness, SIGNING_SECRET } from '../support/harness.js';

describe('POST /slack/events checks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('checks the signature before parsing: a forged body that would not parse gets 401, not 400', async () => {
    const forged = await sendSigned(h.eventsUrl, SIGNING_SECRET, 'payload=null', {
      signature: sign('not-the-secret', Math.floor(Date.now() / 1000), 'payload=null'),
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatch(/signature does not match/);
  });

  it('answers a correctly signed body that is not a JSON object with 400, saying so', async () => {
    for (const body of ['payload=null', 'payload=%5B1%5D', 'payload=a&payload=b', 'command=%2Fwaba&text=a&text=b']) {
      const answer = await sendSigned(h.eventsUrl, SIGNING_SECRET, body);
      expect(answer.status).toBe(400);
    }
    const json = await sendSigned(h.eventsUrl, SIGNING_SECRET, '"text"', { json: true });
    expect(json.status).toBe(400);
    expect(json.body).toMatch(/not a form or JSON object/);
  });

  it('refuses a request whose timestamp is outside the window, whatever its signature', async () => {
    const future = Math.floor(Date.now() / 1000) + 10 * 60;
    const answer = await sendSigned(h.eventsUrl, SIGNING_SECRET, 'command=%2Fwaba&text=help', { timestamp: future });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatch(/five minutes/);
  });

  it('reports ready on /healthz once the store and Slack have answered, and answers HEAD too', async () => {
    const url = h.eventsUrl.replace('/slack/events', '/healthz');
    const health = await fetch(url);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ready' });
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
  });
});
