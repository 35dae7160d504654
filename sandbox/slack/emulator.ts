import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AppLink, type AppMode, SLACKBOT, type ViewInputs } from './app-link.js';
import { SocketModeServer } from './socket-mode.js';
import { type Answer, type Args, callWebApi, safeJson } from './web-api.js';
import { dmChannelOf, type SlackChannel, type SlackMessage, type SlackUser, Workspace } from './workspace.js';

/**
 * A small Slack on loopback, for one app: the Web API subset the app calls (`/api/…`), response URLs
 * (`/response/…`), Socket Mode (`apps.connections.open` and the socket it hands out), and a page (`/`) where people type slash commands, read channels and DMs rendered from Block Kit,
 * click buttons and fill modals. Requests to the app are signed like Slack's, so the app keeps verifying them.
 * Generic: nothing here knows what the app does; a host adds its own side panel.
 */

export type { SlackChannel, SlackMessage, SlackUser };

export interface ApiCall {
  method: string;
  args: Args;
  token?: string;
}

/** A section of the page's side panel, filled by the host (e.g. calls that reached a backend). */
export interface SidePanelSection {
  title: string;
  rows: Array<{ title: string; detail?: string; tone?: 'ok' | 'error'; insert?: string }>;
  /** A small form whose buttons the host handles (`onSideAction`), e.g. to change a backend directly. */
  form?: SidePanelForm;
}

/** Fields (a choice, or a line of text) and buttons; each button sends the form's values with its action. */
export interface SidePanelForm {
  id: string;
  fields: Array<
    | { name: string; label: string; options: Array<{ value: string; label: string }> }
    | { name: string; label: string; placeholder?: string }
  >;
  buttons: Array<{ action: string; label: string; style?: 'primary' | 'danger' }>;
  /** Said under the form. */
  hint?: string;
}

export interface EmulatorOptions {
  signingSecret?: string;
  /** The bot user first, then people. */
  bot?: SlackUser;
  people?: SlackUser[];
  channels?: SlackChannel[];
  /** Slash commands the app registered. */
  commands?: string[];
  title?: string;
  sidePanel?: () => SidePanelSection[];
  /** How the app hears from Slack: signed HTTP requests (the default) or envelopes on its socket. */
  mode?: AppMode;
  /** The app-level token `apps.connections.open` accepts; any `xapp-` token when unset. */
  appToken?: string;
  /**
   * A button of a side-panel form was pressed: `form` and `action` name it, `values` are its fields. What it throws
   * is shown to the person.
   */
  onSideAction?: (form: string, action: string, values: Record<string, string>) => void | Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));

export class SlackEmulator {
  readonly workspace: Workspace;
  readonly link: AppLink;
  readonly socketMode: SocketModeServer;
  readonly calls: ApiCall[] = [];
  /** Bodies posted to response URLs, by URL id. */
  readonly responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  /** Channels where posting fails with `not_in_channel`. */
  readonly closedChannels = new Set<string>();
  private server?: Server;
  private base = '';
  private failures: Array<{ method: string; error: string }> = [];
  private readonly listeners = new Set<ServerResponse>();
  private pageScript?: Promise<string>;

  constructor(private readonly options: EmulatorOptions = {}) {
    const bot = options.bot ?? { id: 'UBOT', name: 'bot', realName: 'Bot', isBot: true };
    this.workspace = new Workspace(bot.id);
    for (const user of [bot, ...(options.people ?? [])]) this.workspace.users.set(user.id, user);
    for (const channel of options.channels ?? []) this.workspace.channels.set(channel.id, channel);
    this.socketMode = new SocketModeServer({
      ...(options.appToken ? { appToken: options.appToken } : {}),
      base: () => this.base,
    });
    this.link = new AppLink(this.workspace, {
      signingSecret: options.signingSecret ?? '',
      responseBase: () => this.base,
      socket: this.socketMode,
    });
    this.link.mode = options.mode ?? 'http';
    this.workspace.on('changed', () => this.broadcast());
  }

  get url(): string {
    return this.base;
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  /** The bytes of an uploaded file. */
  fileContent(id: string): Buffer | undefined {
    return this.workspace.files.get(id)?.bytes;
  }

  get messages(): Map<string, SlackMessage> {
    return this.workspace.messages;
  }

  get usergroups(): Map<string, string[]> {
    return this.workspace.usergroups;
  }

  responseUrl(id: string): string {
    return `${this.base}/response/${id}`;
  }

  /** The next call of `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void {
    this.failures.push({ method, error });
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  messagesIn(channel: string): SlackMessage[] {
    return this.workspace.messagesIn(channel);
  }

  /** Redraws open pages, e.g. after the side panel's data changed. */
  refresh(): void {
    this.workspace.changed();
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: (error as Error).message }));
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.socketMode.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    for (const listener of this.listeners) listener.end();
    this.socketMode.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    if (req.method === 'GET') return this.serveUi(path, url, res);
    if (path.startsWith('/upload/')) return this.receiveUpload(path.slice('/upload/'.length), req, res);

    const raw = await readBody(req);
    if (path.startsWith('/response/')) {
      const id = path.slice('/response/'.length);
      const body = (safeJson(raw || '{}') ?? {}) as Record<string, unknown>;
      this.responses.push({ id, body });
      this.link.respond(id, body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (path.startsWith('/api/')) {
      const method = path.slice('/api/'.length);
      const args = parseArgs(raw, req.headers['content-type']);
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      this.calls.push({ method, args, token });
      return sendJson(res, this.answer(method, args, token));
    }
    if (path.startsWith('/ui/')) {
      // JSON only: a page on another origin cannot send it without a preflight this server never allows.
      if (!req.headers['content-type']?.startsWith('application/json')) return sendJson(res, { ok: false }, 415);
      return this.uiAction(path.slice('/ui/'.length), JSON.parse(raw || '{}'), res);
    }
    sendJson(res, { ok: false, error: 'not_found' }, 404);
  }

  private answer(method: string, args: Args, token: string | undefined): Answer {
    const failure = this.failures.findIndex((f) => f.method === method);
    if (failure >= 0) return { ok: false, error: this.failures.splice(failure, 1)[0]!.error };
    if (method === 'apps.connections.open') return this.socketMode.open(token);
    return callWebApi(method, args, {
      workspace: this.workspace,
      triggerOwner: (id) => this.link.triggerOwner(id),
      closedChannels: this.closedChannels,
      permalinkBase: this.base,
      uploadBase: this.base,
    });
  }

  /**
   * The POST of a file's bytes to the URL files.getUploadURLExternal gave: raw, or as multipart form data (as
   * @slack/web-api sends them). At most the announced length is taken; anything longer is refused.
   */
  private async receiveUpload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = this.workspace.files.get(id);
    if (!file || file.bytes) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      // Multipart framing adds a little; a body far past the announced length is not this file.
      if (size > file.length + 64 * 1024) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    let bytes = raw;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((value): value is File => typeof value !== 'string');
      if (!part) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('no file in the form');
        return;
      }
      bytes = Buffer.from(await part.arrayBuffer());
    }
    if (bytes.length !== file.length) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`expected ${file.length} bytes, got ${bytes.length}`);
      return;
    }
    file.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
  }

  private async serveUi(path: string, url: URL, res: ServerResponse): Promise<void> {
    // A message link opens the page (every channel is on it).
    if (path.startsWith('/archives/')) {
      res.writeHead(302, { location: '/' }).end();
      return;
    }
    // A shared file, downloaded from the page.
    if (path.startsWith('/files/')) {
      const file = this.workspace.files.get(path.slice('/files/'.length));
      if (!file?.bytes || !file.channel) return sendJson(res, { ok: false, error: 'file_not_found' }, 404);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"`,
      });
      res.end(file.bytes);
      return;
    }
    switch (path) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(await readFile(`${PAGE_DIR}index.html`));
        return;
      case '/style.css':
        res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
        res.end(await readFile(`${PAGE_DIR}style.css`));
        return;
      case '/app.js':
        this.pageScript ??= bundlePage();
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(await this.pageScript);
        return;
      case '/ui/state':
        return sendJson(res, this.snapshot(url.searchParams.get('as') ?? ''));
      case '/ui/events':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write('retry: 1000\n\n');
        this.listeners.add(res);
        res.on('close', () => this.listeners.delete(res));
        return;
      default:
        sendJson(res, { ok: false, error: 'not_found' }, 404);
    }
  }

  private async uiAction(action: string, input: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const userId = String(input.as ?? '');
    const user = this.workspace.users.get(userId);
    if (!user || user.isBot) return sendJson(res, { ok: false, error: 'Choose who you are first.' }, 400);
    try {
      switch (action) {
        case 'command':
          await this.runCommand(userId, String(input.channel ?? ''), String(input.text ?? ''));
          break;
        case 'click':
          await this.link.click(userId, String(input.message), String(input.actionId), input.blockId as string);
          break;
        case 'submit':
          await this.link.submitView(userId, String(input.view), (input.inputs ?? {}) as ViewInputs);
          break;
        case 'close':
          this.workspace.closeView(String(input.view));
          break;
        case 'home':
          await this.link.openHome(userId);
          break;
        case 'click-home':
          await this.link.clickHome(userId, String(input.actionId), input.blockId as string);
          break;
        case 'side': {
          if (!this.options.onSideAction) return sendJson(res, { ok: false, error: 'nothing handles this' }, 404);
          const values = Object.fromEntries(
            Object.entries((input.values ?? {}) as Record<string, unknown>).map(([key, value]) => [key, String(value)]),
          );
          await this.options.onSideAction(String(input.form ?? ''), String(input.action ?? ''), values);
          this.refresh();
          break;
        }
        default:
          return sendJson(res, { ok: false, error: `unknown action ${action}` }, 404);
      }
      sendJson(res, { ok: true });
    } catch (error) {
      sendJson(res, { ok: false, error: (error as Error).message }, 409);
    }
  }

  /** A line typed in a channel's composer: a slash command goes to the app; anything else is a plain message. */
  private async runCommand(userId: string, channel: string, line: string): Promise<void> {
    const text = line.trim();
    if (!text) return;
    const match = /^(\/\S+)\s*([\s\S]*)$/.exec(text);
    if (!match) {
      this.workspace.post({ channel, user: userId, text: escapeMrkdwn(text), blocks: [] });
      return;
    }
    const [, command, rest] = match as unknown as [string, string, string];
    if (!(this.options.commands ?? []).includes(command)) {
      this.workspace.post({
        channel,
        user: SLACKBOT,
        text: `${command} is not a valid command. In Slack, all messages that start with "/" are interpreted as commands.`,
        blocks: [],
        visibleTo: userId,
      });
      return;
    }
    await this.link.command(userId, channel, command, rest);
  }

  /** Everything the page shows to one person. */
  private snapshot(userId: string) {
    const users = [...this.workspace.users.values()];
    const dm = dmChannelOf(userId);
    const bot = this.workspace.users.get(this.workspace.botUserId);
    const panes = [
      ...[...this.workspace.channels.values()].map((channel) => ({ ...channel, kind: 'channel' })),
      ...(this.workspace.users.has(userId) ? [{ id: dm, name: bot?.realName ?? 'App', kind: 'dm' }] : []),
    ].map((pane) => ({ ...pane, messages: this.workspace.visibleIn(pane.id, userId) }));
    const open = this.workspace.topViewOf(userId);
    return {
      title: this.options.title ?? 'Slack emulator',
      mode: this.link.mode,
      me: userId,
      users: Object.fromEntries(users.map((user) => [user.id, user])),
      channels: Object.fromEntries([...this.workspace.channels.values()].map((channel) => [channel.id, channel])),
      people: users.filter((user) => !user.isBot),
      panes,
      view: open ? { id: open.id, view: open.view, errors: open.errors ?? {} } : null,
      home: this.workspace.homes.get(userId)?.view ?? null,
      side: this.options.sidePanel?.() ?? [],
    };
  }

  private broadcast(): void {
    for (const listener of this.listeners) listener.write('data: changed\n\n');
  }
}

/** The page's script, bundled from TypeScript on first request. */
async function bundlePage(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [`${PAGE_DIR}main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function parseArgs(raw: string, contentType: string | undefined): Args {
  if (contentType?.includes('application/json')) return JSON.parse(raw || '{}');
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(raw)) args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  return args;
}

/** A person's typed text as Slack stores it: &, < and > escaped. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
