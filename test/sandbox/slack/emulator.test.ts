import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../../sandbox/slack/emulator.js';
import { sign } from '../../../sandbox/slack/requests.js';
import { keyOf } from '../../../sandbox/slack/workspace.js';
import { ACTION, FIELD } from '../../../src/slack/ids.js';
import {
  ANN,
  APPROVAL_CHANNEL,
  DAVE,
  eventually,
  Harness,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
} from '../../support/harness.js';
import { visibleText } from '../../support/message-text.js';

describe('SlackEmulator driving the real bot (signature verification on)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start();
  });
  afterEach(async () => {
    await h.stop();
  });

  const approvalMessage = () => eventually(() => h.slack.messagesIn(APPROVAL_CHANNEL)[0]);

  it('shows a command reply only to the person who typed it', async () => {
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', 'help');

    const seen = h.slack.workspace.visibleIn(TEAM_CHANNEL, LEAD);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.visibleTo).toBe(LEAD);
    expect(visibleText(seen[0]!)).toContain('/waba grant');
    expect(h.slack.workspace.visibleIn(TEAM_CHANNEL, ANN)).toEqual([]);
  });

  it('sends a click with its message, and shows the chat.update that follows in place', async () => {
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING`);
    const request = await approvalMessage();

    await h.slack.link.click(ANN, keyOf(request), ACTION.approve);

    const updated = await eventually(() => {
      const message = h.slack.messages.get(keyOf(request))!;
      return message.updates > 0 && visibleText(message).includes('Approved by') && message;
    });
    expect(updated.ts).toBe(request.ts);
    expect(h.graph.writes()).toHaveLength(1);
  });

  it('answers a forbidden click on its response URL, visible only to the person who clicked', async () => {
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', `grant ${DAVE} MESSAGING`);
    const request = await approvalMessage();

    await h.slack.link.click(STRANGER, keyOf(request), ACTION.approve);

    const reply = await eventually(() =>
      h.slack.workspace.visibleIn(APPROVAL_CHANNEL, STRANGER).find((m) => m.visibleTo),
    );
    expect(visibleText(reply)).toMatch(/approver/i);
    expect(h.slack.workspace.visibleIn(APPROVAL_CHANNEL, ANN).some((m) => m.visibleTo)).toBe(false);
    expect(h.graph.writes()).toHaveLength(0);
  });

  it('opens a modal on the right screen, checks required fields itself, shows the app’s errors, closes on success', async () => {
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', '');
    const form = await eventually(() => h.slack.workspace.topViewOf(LEAD));
    expect(h.slack.workspace.topViewOf(ANN)).toBeUndefined();

    await h.slack.link.submitView(LEAD, form.id, { [FIELD.user]: DAVE });
    expect(form.errors).toEqual({ [FIELD.kind]: 'Please complete this required field.' });
    expect(h.slack.messagesIn(APPROVAL_CHANNEL)).toEqual([]);

    await h.slack.link.submitView(LEAD, form.id, { [FIELD.kind]: 'grant', [FIELD.user]: 'alice' });
    expect(form.errors).toEqual({
      [FIELD.user]: expect.stringContaining('digits only'),
      [FIELD.tasks]: expect.stringContaining('at least one task'),
    });

    await h.slack.link.submitView(LEAD, form.id, {
      [FIELD.kind]: 'grant',
      [FIELD.user]: DAVE,
      [FIELD.tasks]: ['MESSAGING', 'VIEW_TEMPLATES'],
    });
    expect(h.slack.workspace.views.has(form.id)).toBe(false);
    expect(visibleText(await approvalMessage())).toContain('VIEW_TEMPLATES');
  });

  it('refuses to submit a modal for someone else', async () => {
    await h.slack.link.command(LEAD, TEAM_CHANNEL, '/waba', '');
    const form = await eventually(() => h.slack.workspace.topViewOf(LEAD));
    await expect(h.slack.link.submitView(ANN, form.id, {})).rejects.toThrow('no longer open');
  });
});

/** A stand-in app that records what it was sent and answers as told. */
class RecordingApp {
  readonly received: Array<{ body: string; signature: string; timestamp: string }> = [];
  answer: (payload: Record<string, unknown>) => Promise<string> = async () => '';
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const body = await readAll(req);
      this.received.push({
        body,
        signature: String(req.headers['x-slack-signature']),
        timestamp: String(req.headers['x-slack-request-timestamp']),
      });
      const form = new URLSearchParams(body);
      const payload = form.has('payload') ? JSON.parse(form.get('payload')!) : Object.fromEntries(form);
      res.writeHead(200, { 'content-type': 'application/json' }).end(await this.answer(payload));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/slack/events`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('SlackEmulator on its own', () => {
  const SECRET = 'emulator-test-secret';
  const LENA = 'ULENA';
  const BEN = 'UBEN';
  let slack: SlackEmulator;
  let app: RecordingApp;

  beforeEach(async () => {
    slack = new SlackEmulator({
      signingSecret: SECRET,
      commands: ['/waba'],
      people: [
        { id: LENA, name: 'lena', realName: 'Lena Ortiz', email: 'lena@example.test' },
        { id: BEN, name: 'ben', realName: 'Ben Okafor' },
      ],
      channels: [{ id: 'CTEAM', name: 'team' }],
    });
    await slack.start();
    app = new RecordingApp();
    await app.start();
    slack.link.requestUrl = app.url;
  });
  afterEach(async () => {
    await slack.stop();
    await app.stop();
  });

  const ui = (action: string, body: object, contentType = 'application/json') =>
    fetch(`${slack.url}/ui/${action}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: JSON.stringify(body),
    });
  const api = async (method: string, args: object) =>
    (await (
      await fetch(`${slack.apiUrl}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(args),
      })
    ).json()) as Record<string, unknown>;

  it('signs what it sends the app as Slack does', async () => {
    expect((await ui('command', { as: LENA, channel: 'CTEAM', text: '/waba help me' })).status).toBe(200);

    const [request] = app.received;
    expect(request!.signature).toBe(sign(SECRET, Number(request!.timestamp), request!.body));
    expect(Math.abs(Number(request!.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    const form = new URLSearchParams(request!.body);
    expect(form.get('command')).toBe('/waba');
    expect(form.get('text')).toBe('help me');
    expect(form.get('user_id')).toBe(LENA);
    expect(form.get('channel_name')).toBe('team');
  });

  it('takes only JSON from the page, and only from someone in the workspace', async () => {
    expect((await ui('command', { as: LENA, channel: 'CTEAM', text: '/waba' }, 'text/plain')).status).toBe(415);
    expect((await ui('command', { as: 'UNOBODY', channel: 'CTEAM', text: '/waba' })).status).toBe(400);
    expect(app.received).toEqual([]);
  });

  it('has Slackbot explain an unknown command, and posts plain text as the person', async () => {
    await ui('command', { as: LENA, channel: 'CTEAM', text: '/nope x' });
    await ui('command', { as: LENA, channel: 'CTEAM', text: 'hello <team>' });

    const [slackbot, said] = slack.workspace.visibleIn('CTEAM', LENA);
    expect(slackbot).toMatchObject({ user: 'USLACKBOT', visibleTo: LENA });
    expect(slackbot!.text).toContain('/nope is not a valid command');
    expect(said).toMatchObject({ user: LENA, text: 'hello &lt;team&gt;' });
    expect(said!.visibleTo).toBeUndefined();
    expect(app.received).toEqual([]);
  });

  it('tells the person when the app cannot be reached, or takes longer than Slack’s 3 seconds', async () => {
    app.answer = () => new Promise((resolve) => setTimeout(() => resolve(''), 4_000));
    await slack.link.command(LENA, 'CTEAM', '/waba', 'list');
    slack.link.requestUrl = 'http://127.0.0.1:9/slack/events';
    await slack.link.command(LENA, 'CTEAM', '/waba', 'list');

    expect(slack.workspace.visibleIn('CTEAM', LENA).map((message) => message.text)).toEqual([
      '/waba failed with the error "operation_timeout"',
      '/waba failed with the error "dispatch_failed"',
    ]);
  }, 10_000);

  it('applies response URLs as Slack does: ephemeral by default, in_channel for all, replace and delete the original', async () => {
    const blocks = [{ type: 'actions', block_id: 'b', elements: [{ type: 'button', action_id: 'go', value: 'v' }] }];
    const bot = slack.workspace.post({ channel: 'CTEAM', user: 'UBOT', text: 'pick', blocks });
    const replies: object[] = [
      { text: 'only you' },
      { response_type: 'in_channel', text: 'everyone' },
      { replace_original: true, text: 'replaced', blocks },
      { delete_original: true },
    ];
    app.answer = async (payload) => {
      await fetch(String(payload.response_url), { method: 'POST', body: JSON.stringify(replies.shift()) });
      return '';
    };

    await slack.link.click(BEN, keyOf(bot), 'go');
    await slack.link.click(BEN, keyOf(bot), 'go');
    expect(slack.workspace.visibleIn('CTEAM', BEN).map((m) => [m.text, m.visibleTo])).toEqual([
      ['pick', undefined],
      ['only you', BEN],
      ['everyone', undefined],
    ]);
    const payload = JSON.parse(new URLSearchParams(app.received[0]!.body).get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: BEN },
      actions: [{ action_id: 'go', block_id: 'b', value: 'v' }],
      message: { ts: bot.ts, text: 'pick' },
    });

    await slack.link.click(BEN, keyOf(bot), 'go');
    expect(slack.messages.get(keyOf(bot))).toMatchObject({ text: 'replaced', updates: 1 });
    await slack.link.click(BEN, keyOf(bot), 'go');
    expect(slack.messages.has(keyOf(bot))).toBe(false);
  });

  it('answers the Web API methods with Slack’s shapes and error codes', async () => {
    expect(await api('users.info', { user: LENA })).toMatchObject({
      ok: true,
      user: { id: LENA, real_name: 'Lena Ortiz', profile: { email: 'lena@example.test' } },
    });
    expect(await api('users.info', { user: 'UNONE' })).toEqual({ ok: false, error: 'user_not_found' });
    expect(await api('users.lookupByEmail', { email: 'LENA@example.test' })).toMatchObject({ user: { id: LENA } });
    expect(await api('conversations.open', { users: LENA })).toEqual({ ok: true, channel: { id: 'DLENA' } });
    expect(await api('chat.update', { channel: 'CTEAM', ts: '1.2', text: 'x' })).toEqual({
      ok: false,
      error: 'message_not_found',
    });
    expect(await api('admin.everything', {})).toEqual({ ok: false, error: 'unknown_method' });

    const posted = await api('chat.postMessage', { channel: LENA, text: 'hi' });
    expect(posted).toMatchObject({ ok: true, channel: 'DLENA' });
    expect(await api('chat.delete', { channel: 'DLENA', ts: posted.ts })).toMatchObject({ ok: true });
    expect(slack.messagesIn('DLENA')).toEqual([]);
  });

  it('takes a file through Slack’s three-step upload, as files.uploadV2 sends it, into a DM', async () => {
    const client = new webApi.WebClient('xoxb-emulator-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const content = Buffer.from('chain,seq\r\nglobal,1\r\n'.repeat(500));
    const uploaded = await client.files.uploadV2({
      channel_id: 'DLENA',
      file: content,
      filename: 'audit.csv',
      title: 'audit.csv',
      initial_comment: 'The audit trail',
    });
    expect(slack.calls.map((call) => call.method)).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    expect(slack.callsOf('files.getUploadURLExternal')[0]!.args).toMatchObject({
      filename: 'audit.csv',
      length: String(content.length),
    });
    const [message] = slack.messagesIn('DLENA');
    expect(message).toMatchObject({
      text: 'The audit trail',
      files: [{ name: 'audit.csv', title: 'audit.csv', size: content.length }],
    });
    const id = message!.files![0]!.id;
    expect(uploaded.ok).toBe(true);
    expect(slack.fileContent(id)?.equals(content)).toBe(true);
    const download = await fetch(`${slack.url}/files/${id}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
  });

  it('refuses uploads as Slack does: no length, wrong bytes, a user id for a channel, a file never uploaded', async () => {
    expect(await api('files.getUploadURLExternal', { filename: 'a.csv' })).toEqual({
      ok: false,
      error: 'invalid_arguments',
    });
    const { upload_url: url, file_id: id } = (await api('files.getUploadURLExternal', {
      filename: 'a.csv',
      length: 3,
    })) as {
      upload_url: string;
      file_id: string;
    };
    const complete = (channel: string, file = id) =>
      api('files.completeUploadExternal', { files: [{ id: file, title: 'a' }], channel_id: channel });
    expect(await complete('DLENA')).toEqual({ ok: false, error: 'file_not_found' });
    expect((await fetch(url, { method: 'POST', body: 'toolong' })).status).toBe(400);
    expect((await fetch(url, { method: 'POST', body: 'abc' })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', body: 'abc' })).status).toBe(404);
    expect(await complete(LENA)).toEqual({ ok: false, error: 'invalid_arguments' });
    expect(await complete('DLENA', 'FNOPE')).toEqual({ ok: false, error: 'file_not_found' });
    expect(await complete('DLENA')).toMatchObject({ ok: true, files: [{ id, size: 3 }] });
    expect((await fetch(`${slack.url}/files/FNOPE`)).status).toBe(404);
  });

  it('stacks pushed modals and updates them in place', async () => {
    const trigger = async () => {
      await slack.link.command(LENA, 'CTEAM', '/waba', '');
      return new URLSearchParams(app.received.at(-1)!.body).get('trigger_id');
    };
    const first = await api('views.open', { trigger_id: await trigger(), view: { type: 'modal', title: 'one' } });
    const second = await api('views.push', { trigger_id: await trigger(), view: { type: 'modal', title: 'two' } });
    const secondId = (second.view as { id: string }).id;
    expect(slack.workspace.topViewOf(LENA)?.id).toBe(secondId);

    await api('views.update', { view_id: secondId, view: { type: 'modal', title: 'two, updated' } });
    expect(slack.workspace.topViewOf(LENA)?.view.title).toBe('two, updated');
    slack.workspace.closeView(secondId);
    expect(slack.workspace.topViewOf(LENA)?.id).toBe((first.view as { id: string }).id);
  });
});

describe('SlackEmulator side-panel forms', () => {
  it('shows the host’s form, hands a button’s values to the host, and tells the person what it refused', async () => {
    const pressed: Array<[string, string, Record<string, string>]> = [];
    const slack = new SlackEmulator({
      people: [{ id: 'ULENA', name: 'lena', realName: 'Lena Ortiz' }],
      sidePanel: () => [
        {
          title: 'Backend',
          rows: [],
          form: {
            id: 'backend',
            fields: [{ name: 'tasks', label: 'Tasks' }],
            buttons: [{ action: 'set', label: 'Set' }],
          },
        },
      ],
      onSideAction: (form, action, values) => {
        if (values.tasks === 'bad') throw new Error('Tasks are MANAGE, MESSAGING.');
        pressed.push([form, action, values]);
      },
    });
    await slack.start();
    try {
      const side = (body: object) =>
        fetch(`${slack.url}/ui/side`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ as: 'ULENA', ...body }),
        });
      const state = (await (await fetch(`${slack.url}/ui/state?as=ULENA`)).json()) as { side: unknown[] };
      expect(state.side).toMatchObject([{ form: { id: 'backend', buttons: [{ action: 'set' }] } }]);
      expect((await side({ form: 'backend', action: 'set', values: { tasks: 'MESSAGING' } })).status).toBe(200);
      expect(pressed).toEqual([['backend', 'set', { tasks: 'MESSAGING' }]]);
      const refused = await side({ form: 'backend', action: 'set', values: { tasks: 'bad' } });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toEqual({ ok: false, error: 'Tasks are MANAGE, MESSAGING.' });
    } finally {
      await slack.stop();
    }
  });
});
