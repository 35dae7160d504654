import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/**
 * Slack's Socket Mode, for the emulator: `apps.connections.open` (with the app-level `xapp-` token) hands out a
 * one-time WebSocket URL; the socket says `hello`, then carries envelopes `{envelope_id, type, payload,
 * accepts_response_payload}` that the app acknowledges by `envelope_id` (the ack's `payload` is what an HTTP
 * answer's body would be); `disconnect` asks the app to reconnect, as Slack does before recycling a connection.
 * (https://api.slack.com/apis/socket-mode)
 */

/** What Slack sends over the socket, by what it carries. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** Why Slack asks an app to reconnect. */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

/** How one envelope went: acknowledged (with the ack's payload when the envelope accepts one), or not. */
export type Delivery =
  | { kind: 'acked'; payload?: Record<string, unknown> }
  | { kind: 'not-acknowledged' }
  | { kind: 'no-connection' };

export interface SocketModeOptions {
  /** The app-level token `apps.connections.open` accepts; any `xapp-` token when unset. */
  appToken?: string;
  /** The emulator's base URL (`http://127.0.0.1:port`), where sockets are opened. */
  base: () => string;
  /** How long an envelope waits for its ack (Slack's 3 seconds). */
  ackTimeoutMs?: number;
  /** How long a socket told to disconnect may stay open before it is closed for the app. */
  disconnectGraceMs?: number;
}

const ACK_TIMEOUT_MS = 3_000;
const DISCONNECT_GRACE_MS = 1_000;
const LINK_PATH = '/link/';

interface Pending {
  socket: WebSocket;
  acceptsPayload: boolean;
  resolve: (delivery: Delivery) => void;
}

/**
 * The Socket Mode side of the emulator. Emits `connected` (a socket said hello), `closed` (a socket went away),
 * `unknown-ack` (an ack for no envelope waiting) and `not-acknowledged` (an envelope whose ack never came in time).
 */
export class SocketModeServer extends EventEmitter {
  /** Sockets that said hello and are still open, oldest first: envelopes go to the newest. */
  private readonly sockets: WebSocket[] = [];
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private readonly wss = new WebSocketServer({ noServer: true });
  /** How many sockets have ever said hello (a reconnect adds one). */
  connectionsOpened = 0;
  /** Acks whose `envelope_id` matched no envelope waiting for one. */
  readonly unknownAcks: unknown[] = [];
  /** Envelopes sent, oldest first. */
  readonly envelopes: Array<{ envelope_id: string; type: EnvelopeType; payload: Record<string, unknown> }> = [];

  constructor(private readonly options: SocketModeOptions) {
    super();
  }

  /** Sockets open now. */
  get connections(): number {
    return this.sockets.length;
  }

  /** `apps.connections.open`: a one-time URL for the app's next socket. */
  open(token: string | undefined): Record<string, unknown> & { ok: boolean } {
    if (!token) return { ok: false, error: 'not_authed' };
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (this.options.appToken && token !== this.options.appToken) return { ok: false, error: 'invalid_auth' };
    const ticket = randomBytes(12).toString('hex');
    this.tickets.add(ticket);
    const base = this.options.base().replace(/^http/, 'ws');
    return { ok: true, url: `${base}${LINK_PATH}?ticket=${ticket}&app_id=A0TEST` };
  }

  /** An HTTP upgrade to the emulator: a socket for a ticket `open` handed out, once. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== LINK_PATH || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /**
   * Sends one envelope on the newest socket and waits for its ack. A payload in the ack counts only when the
   * envelope accepts one (commands and view submissions), as with Slack.
   */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, acceptsPayload: boolean): Promise<Delivery> {
    const socket = this.sockets.at(-1);
    if (!socket) return Promise.resolve({ kind: 'no-connection' });
    const envelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: acceptsPayload,
      ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
    };
    this.envelopes.push(envelope);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelope_id);
        this.emit('not-acknowledged', envelope);
        resolve({ kind: 'not-acknowledged' });
      }, this.options.ackTimeoutMs ?? ACK_TIMEOUT_MS);
      this.pending.set(envelope.envelope_id, {
        socket,
        acceptsPayload,
        resolve: (delivery) => {
          clearTimeout(timer);
          resolve(delivery);
        },
      });
      socket.send(JSON.stringify(envelope));
    });
  }

  /** Sends `disconnect` on every socket, as Slack does before it closes one; the app is expected to reconnect. */
  disconnect(reason: DisconnectReason): void {
    for (const socket of [...this.sockets]) {
      socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'emulator' } }));
      // The app closes it in answer; one that does not is closed for it, as Slack would.
      setTimeout(() => socket.close(1001, reason), this.options.disconnectGraceMs ?? DISCONNECT_GRACE_MS).unref();
    }
  }

  /** Drops every socket without a close frame, as a network failure would. */
  drop(): void {
    for (const socket of [...this.sockets]) socket.terminate();
  }

  /** Closes every socket and forgets the tickets handed out (the emulator is stopping). */
  close(): void {
    this.drop();
    this.tickets.clear();
  }

  private accept(socket: WebSocket): void {
    this.sockets.push(socket);
    this.connectionsOpened += 1;
    socket.on('message', (data, isBinary) => this.received(socket, data, isBinary));
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      const index = this.sockets.indexOf(socket);
      if (index >= 0) this.sockets.splice(index, 1);
      // Envelopes sent on this socket will never be acknowledged now; their timers say so in time.
      this.emit('closed');
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'emulator', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0TEST' },
      }),
    );
    this.emit('connected');
  }

  /** An ack from the app: settles the envelope it names; anything else is ignored. */
  private received(socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return;
    }
    const envelopeId = (message as { envelope_id?: unknown } | null)?.envelope_id;
    const pending = typeof envelopeId === 'string' ? this.pending.get(envelopeId) : undefined;
    // Only the socket an envelope went out on can acknowledge it.
    if (!pending || pending.socket !== socket) {
      this.unknownAcks.push(message);
      this.emit('unknown-ack', message);
      return;
    }
    this.pending.delete(envelopeId as string);
    const payload = (message as { payload?: unknown }).payload;
    pending.resolve({
      kind: 'acked',
      ...(pending.acceptsPayload && isObject(payload) ? { payload } : {}),
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
