import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SlackEmulator } from '../../../sandbox/slack/emulator.js';
import { keyOf } from '../../../sandbox/slack/workspace.js';
import { eventually } from '../../support/harness.js';

const APP_TOKEN = 'xapp-1-emulator-test-not-real';
const LENA = 'ULENA';

/** A stand-in app on the emulator's socket: records every message and answers envelopes as told. */
class SocketApp {
  readonly received: Array<Record<string, unknown>> = [];
  /** What to send back for an envelope; nothing when it returns undefined. */
  answer: (envelope: Record<string, unknown>) => Record<string, unknown> | undefined = (envelope) => ({
    envelope_id: envelope.envelope_id,
  });
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      this.received.push(message);
      if (typeof message.envelope_id !== 'string') return;
      const reply = this.answer(message);
      if (reply) ws.send(JSON.stringify(reply));
    });
  }

  static async connect(slack: SlackEmulator, token = APP_TOKEN): Promise<SocketApp> {
    const open = await openConnection(slack, token);
    if (!open.ok) throw new Error(String(open.error));
    const app = new SocketApp(new WebSocket(String(open.url)));
    await once(app.ws, 'open');
    await eventually(() => app.received.length > 0);
    return app;
  }

  envelopes(): Array<Record<string, unknown>> {
    return this.received.filter((message) => message.envelope_id);
  }
}

async function openConnection(slack: SlackEmulator, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${slack.apiUrl}apps.connections.open`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('the emulator in Socket Mode', () => {
  let slack: SlackEmulator;
  let app: SocketApp | undefined;

  beforeEach(async () => {
    slack = new SlackEmulator({
      commands: ['/waba'],
      mode: 'socket',
      appToken: APP_TOKEN,
      people: [{ id: LENA, name: 'lena', realName: 'Lena Ortiz' }],
      channels: [{ id: 'CTEAM', name: 'team' }],
    });
    await slack.start();
  });
  afterEach(async () => {
    app?.ws.terminate();
    app = undefined;
    await slack.stop();
  });

  const seenBy = (userId: string) => slack.workspace.visibleIn('CTEAM', userId).map((message) => message.text);

  it('hands out a socket only for the app-level token, once per URL', async () => {
    expect(await openConnection(slack, 'xoxb-bot-token')).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await openConnection(slack, 'xapp-1-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });

    const open = await openConnection(slack, APP_TOKEN);
    expect(open).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/) });
    const first = new WebSocket(String(open.url));
    await once(first, 'open');
    const again = new WebSocket(String(open.url));
    const [error] = (await once(again, 'error')) as [Error];
    expect(error.message).toContain('401');
    first.terminate();
    expect(slack.socketMode.connectionsOpened).toBe(1);
  });

  it('says hello first, then sends a command as an envelope and shows the reply in its ack', async () => {
    app = await SocketApp.connect(slack);
    expect(app.received[0]).toMatchObject({ type: 'hello', connection_info: { app_id: 'A0TEST' } });
    app.answer = (envelope) => ({ envelope_id: envelope.envelope_id, payload: { text: 'Here is how to use it' } });

    await slack.link.command(LENA, 'CTEAM', '/waba', 'help me');

    const [envelope] = app.envelopes();
    expect(envelope).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { command: '/waba', text: 'help me', user_id: LENA, channel_id: 'CTEAM', channel_name: 'team' },
    });
    expect(envelope!.envelope_id).toEqual(expect.any(String));
    expect(seenBy(LENA)).toEqual(['Here is how to use it']);
  });

  it('sends clicks as interactive envelopes, whose ack payload does not count, and Home as events_api', async () => {
    app = await SocketApp.connect(slack);
    app.answer = (envelope) => ({ envelope_id: envelope.envelope_id, payload: { text: 'ignored for a click' } });
    const blocks = [{ type: 'actions', block_id: 'b', elements: [{ type: 'button', action_id: 'go', value: 'v' }] }];
    const message = slack.workspace.post({ channel: 'CTEAM', user: 'UBOT', text: 'pick', blocks });

    await slack.link.click(LENA, keyOf(message), 'go');
    await slack.link.openHome(LENA);

    const [click, home] = app.envelopes();
    expect(click).toMatchObject({
      type: 'interactive',
      accepts_response_payload: false,
      payload: { type: 'block_actions', user: { id: LENA }, actions: [{ action_id: 'go', value: 'v' }] },
    });
    expect(home).toMatchObject({
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      payload: { type: 'event_callback', event: { type: 'app_home_opened', user: LENA } },
    });
    expect(seenBy(LENA)).toEqual(['pick']);
  });

  it('applies a view submission’s response_action from the ack’s payload', async () => {
    app = await SocketApp.connect(slack);
    const form = slack.workspace.openView(
      {
        type: 'modal',
        callback_id: 'form',
        blocks: [{ type: 'input', block_id: 'who', element: { type: 'plain_text_input', action_id: 'who' } }],
      },
      LENA,
    );
    app.answer = (envelope) => ({
      envelope_id: envelope.envelope_id,
      payload: { response_action: 'errors', errors: { who: 'Type digits only.' } },
    });

    await slack.link.submitView(LENA, form.id, { who: 'alice' });

    expect(app.envelopes()[0]).toMatchObject({
      type: 'interactive',
      accepts_response_payload: true,
      payload: {
        type: 'view_submission',
        view: { callback_id: 'form', state: { values: { who: { who: { value: 'alice' } } } } },
      },
    });
    expect(form.errors).toEqual({ who: 'Type digits only.' });
    app.answer = (envelope) => ({ envelope_id: envelope.envelope_id });
    await slack.link.submitView(LENA, form.id, { who: '123' });
    expect(slack.workspace.views.has(form.id)).toBe(false);
  });

  it('ignores an ack with an unknown envelope_id, and reports the envelope not acknowledged in time', async () => {
    app = await SocketApp.connect(slack);
    app.answer = () => ({ envelope_id: 'not-an-envelope-we-sent', payload: { text: 'sneaked in' } });
    const late: unknown[] = [];
    slack.socketMode.on('not-acknowledged', (envelope) => late.push(envelope));

    const started = Date.now();
    await slack.link.command(LENA, 'CTEAM', '/waba', 'list');

    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(slack.socketMode.unknownAcks).toEqual([
      { envelope_id: 'not-an-envelope-we-sent', payload: { text: 'sneaked in' } },
    ]);
    expect(late).toEqual([expect.objectContaining({ type: 'slash_commands', envelope_id: expect.any(String) })]);
    expect(seenBy(LENA)).toEqual(['/waba failed with the error "operation_timeout"']);

    // The right id, too late, changes nothing.
    app.ws.send(JSON.stringify({ envelope_id: app.envelopes()[0]!.envelope_id, payload: { text: 'too late' } }));
    await eventually(() => slack.socketMode.unknownAcks.length === 2);
    expect(seenBy(LENA)).toEqual(['/waba failed with the error "operation_timeout"']);
  }, 10_000);

  it('ignores what is not JSON, and tells the person when no app is connected', async () => {
    app = await SocketApp.connect(slack);
    app.answer = (envelope) => {
      app!.ws.send('not json {');
      return { envelope_id: envelope.envelope_id, payload: { text: 'still fine' } };
    };
    await slack.link.command(LENA, 'CTEAM', '/waba', 'help');
    expect(seenBy(LENA)).toEqual(['still fine']);

    app.ws.terminate();
    await eventually(() => slack.socketMode.connections === 0);
    await slack.link.command(LENA, 'CTEAM', '/waba', 'help');
    expect(seenBy(LENA)).toEqual(['still fine', '/waba failed with the error "dispatch_failed"']);
  });

  it.each(['refresh_requested', 'warning', 'link_disabled'] as const)(
    'sends disconnect (%s) and closes the socket if the app does not',
    async (reason) => {
      app = await SocketApp.connect(slack);
      const closed = once(app.ws, 'close');

      slack.socketMode.disconnect(reason);

      const [code] = (await closed) as [number];
      expect(app.received.at(-1)).toMatchObject({ type: 'disconnect', reason });
      expect(code).toBe(1001);
      await eventually(() => slack.socketMode.connections === 0);
    },
  );
});
