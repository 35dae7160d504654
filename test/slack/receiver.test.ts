import type { ServerResponse } from 'node:http';
import type { App, ReceiverEvent } from '@slack/bolt';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { VerifiedRequestReceiver } from '../../src/slack/receiver.js';

/** A response that records what was written to it. */
function response() {
  const written: { status?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    headersSent: false,
    destroyed: false,
    writeHead(status: number, headers?: Record<string, string>) {
      written.status = status;
      if (headers) written.headers = headers;
      res.headersSent = true;
      return res;
    },
    end(body?: string) {
      if (body !== undefined) written.body = body;
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, written };
}

const logger = createLogger({ level: 'silent', secrets: [] });

function receiverWith(processEvent: (event: ReceiverEvent) => Promise<void>, now = () => 0) {
  const receiver = new VerifiedRequestReceiver(logger, now);
  receiver.init({ processEvent } as unknown as App);
  return receiver;
}

describe('the receiver of verified Slack requests', () => {
  it('answers with what the listener acks, at once, and reports the answer once', async () => {
    let finish!: () => void;
    const receiver = receiverWith(async (event) => {
      await event.ack({ response_action: 'errors', errors: { user: 'digits only' } });
      await event.ack('again');
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    const { res, written } = response();
    const answered = vi.fn();
    receiver.handle({ body: { type: 'view_submission' }, headers: { 'x-slack-retry-num': '2' } }, res, answered);
    await vi.waitFor(() => expect(written.status).toBe(200));
    expect(JSON.parse(written.body!)).toEqual({ response_action: 'errors', errors: { user: 'digits only' } });
    expect(answered).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(finish).toBeTypeOf('function'));
    finish();
  });

  it('passes Slack’s retry headers to Bolt', async () => {
    const seen: ReceiverEvent[] = [];
    const receiver = receiverWith(async (event) => {
      seen.push(event);
      await event.ack();
    });
    const headers = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
    receiver.handle({ body: { type: 'event_callback' }, headers }, response().res);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toMatchObject({ retryNum: 1, retryReason: 'http_timeout' });
  });

  it('answers the SSL check and the URL challenge without Bolt', async () => {
    const processEvent = vi.fn(async () => {});
    const receiver = receiverWith(processEvent);
    const ssl = response();
    receiver.handle({ body: { ssl_check: '1' }, headers: {} }, ssl.res);
    expect(ssl.written.status).toBe(200);
    const challenge = response();
    receiver.handle({ body: { type: 'url_verification', challenge: 'c-123' }, headers: {} }, challenge.res);
    expect(JSON.parse(challenge.written.body!)).toEqual({ challenge: 'c-123' });
    expect(processEvent).not.toHaveBeenCalled();
  });

  it('answers 404 when no listener acknowledged, and 500 when one failed', async () => {
    const quiet = response();
    receiverWith(async () => {}).handle({ body: { type: 'block_actions' }, headers: {} }, quiet.res);
    await vi.waitFor(() => expect(quiet.written.status).toBe(404));
    const failed = response();
    const answered = vi.fn();
    receiverWith(async () => {
      throw new Error('listener broke');
    }).handle({ body: { type: 'block_actions' }, headers: {} }, failed.res, answered);
    await vi.waitFor(() => expect(failed.written.status).toBe(500));
    expect(answered).toHaveBeenCalledTimes(1);
  });

  it('answers a request no listener acknowledged within 3 seconds, once the sweep finds it', async () => {
    let now = 0;
    const receiver = receiverWith(
      () => new Promise(() => {}),
      () => now,
    );
    vi.useFakeTimers();
    try {
      await receiver.start();
      const { res, written } = response();
      const answered = vi.fn();
      receiver.handle({ body: { type: 'block_actions' }, headers: {} }, res, answered);
      now = 2_500;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(written.status).toBeUndefined();
      now = 3_500;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(written.status).toBe(404);
      expect(answered).toHaveBeenCalledTimes(1);
      await receiver.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
