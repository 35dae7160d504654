import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the part of Slack's Web API the bot uses, plus response URLs. Keeps messages by channel
 * and ts so tests can read what a person would see, and records every call.
 */

export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks: Array<Record<string, unknown>>;
  updates: number;
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token?: string;
}

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly messages = new Map<string, SlackMessage>();
  /** Bodies posted to response URLs, by URL id. */
  readonly responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  readonly usergroups = new Map<string, string[]>();
  /** Channels where posting fails with `not_in_channel`. */
  readonly closedChannels = new Set<string>();
  private server?: Server;
  private base = '';
  private nextTs = 1_700_000_000_000_000;
  private failures: Array<{ method: string; error: string }> = [];

  get url(): string {
    return this.base;
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
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
    return [...this.messages.values()].filter((message) => message.channel === channel);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', this.base).pathname;

    if (path.startsWith('/response/')) {
      this.responses.push({ id: path.slice('/response/'.length), body: JSON.parse(raw || '{}') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }

    const method = path.replace(/^\/api\//, '');
    const args = parseArgs(raw, req.headers['content-type']);
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    this.calls.push({ method, args, token });
    const failure = this.failures.findIndex((f) => f.method === method);
    const body =
      failure >= 0 ? { ok: false, error: this.failures.splice(failure, 1)[0]!.error } : this.answer(method, args);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEST', user: 'waba-access' };
      case 'chat.postMessage': {
        const channel = dmChannel(String(args.channel));
        if (this.closedChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = this.newTs();
        const message = { channel, ts, text: args.text as string, blocks: asBlocks(args.blocks), updates: 0 };
        this.messages.set(`${channel}:${ts}`, message);
        return { ok: true, channel, ts, message };
      }
      case 'chat.update': {
        const key = `${args.channel}:${args.ts}`;
        const existing = this.messages.get(key);
        if (!existing) return { ok: false, error: 'message_not_found' };
        this.messages.set(key, {
          ...existing,
          text: args.text as string,
          blocks: asBlocks(args.blocks),
          updates: existing.updates + 1,
        });
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case 'chat.postEphemeral':
        if (this.closedChannels.has(String(args.channel))) return { ok: false, error: 'not_in_channel' };
        return { ok: true, message_ts: this.newTs() };
      case 'views.open':
        return { ok: true, view: { id: `V${this.calls.length}` } };
      case 'usergroups.users.list':
        return { ok: true, users: this.usergroups.get(String(args.usergroup)) ?? [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private newTs(): string {
    this.nextTs += 1;
    const text = String(this.nextTs);
    return `${text.slice(0, 10)}.${text.slice(10)}`;
  }
}

function dmChannel(channel: string): string {
  return /^[UW]/.test(channel) ? `D${channel.slice(1)}` : channel;
}

function asBlocks(value: unknown): Array<Record<string, unknown>> {
  if (typeof value === 'string') return JSON.parse(value);
  return Array.isArray(value) ? value : [];
}

function parseArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(raw || '{}');
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Everything a person would read in a message: its text and every text inside its blocks. */
export function visibleText(message: { text?: string; blocks?: unknown }): string {
  const texts: string[] = [message.text ?? ''];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    if (typeof record.text === 'string') texts.push(record.text);
    for (const value of Object.values(record)) walk(value);
  };
  walk(message.blocks);
  return texts.join('\n');
}

/** Action ids of every button in a message. */
export function buttonsOf(message: { blocks?: unknown }): string[] {
  const ids: string[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    if (record.type === 'button' && typeof record.action_id === 'string') ids.push(record.action_id);
    for (const value of Object.values(record)) walk(value);
  };
  walk(message.blocks);
  return ids;
}
