import { EventEmitter } from 'node:events';

/**
 * What a Slack workspace holds for the emulator: people, channels, messages (ephemeral ones too) and open modals.
 * Every change emits `changed`, so a page can redraw.
 */

export type Block = Record<string, unknown>;

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  title?: string;
  email?: string;
  isBot?: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
}

/** A file shared in a message. */
export interface SharedFile {
  id: string;
  name: string;
  title: string;
  size: number;
}

/** A file uploaded with `files.getUploadURLExternal` and the POST of its bytes; shared once completed. */
export interface UploadedFile {
  id: string;
  name: string;
  /** The length announced when the upload URL was asked for. */
  length: number;
  bytes?: Buffer;
  /** Where `files.completeUploadExternal` shared it. */
  channel?: string;
  title?: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  /** Who posted it: a person, or the bot. */
  user?: string;
  text?: string;
  blocks: Block[];
  /** How many times `chat.update` (or a response URL) replaced it. */
  updates: number;
  /** Set on an ephemeral message: the one person who sees it. */
  visibleTo?: string;
  /** Files shared with it (`files.completeUploadExternal`). */
  files?: SharedFile[];
}

export interface OpenView {
  id: string;
  /** Whose screen the modal is on; unknown when opened with a trigger the emulator did not mint. */
  userId?: string;
  view: Record<string, unknown>;
  /** The view under this one (`views.push`), shown again when this one closes. */
  below?: string;
  /** Errors the app returned for input blocks, by block id. */
  errors?: Record<string, string>;
}

/** A direct-message channel with the bot: Slack's ids start with D. */
export function dmChannelOf(userId: string): string {
  return /^[UW]/.test(userId) ? `D${userId.slice(1)}` : userId;
}

export class Workspace extends EventEmitter<{ changed: [] }> {
  readonly users = new Map<string, SlackUser>();
  readonly channels = new Map<string, SlackChannel>();
  /** Channel messages by `channel:ts`. */
  readonly messages = new Map<string, SlackMessage>();
  /** Ephemeral messages by `channel:ts`. */
  readonly ephemerals = new Map<string, SlackMessage>();
  readonly views = new Map<string, OpenView>();
  /** Each person's Home tab, as the app last published it. */
  readonly homes = new Map<string, { id: string; view: Record<string, unknown> }>();
  readonly usergroups = new Map<string, string[]>();
  /** Files by id, from the moment an upload URL was handed out. */
  readonly files = new Map<string, UploadedFile>();
  private lastTs = 0;
  private nextView = 0;

  constructor(readonly botUserId = 'UBOT') {
    super();
  }

  /** Slack's message ids: the time in seconds with six decimals, unique within a channel. */
  newTs(): string {
    this.lastTs = Math.max(Date.now() * 1000, this.lastTs + 1);
    const text = String(this.lastTs);
    return `${text.slice(0, 10)}.${text.slice(10)}`;
  }

  post(message: Omit<SlackMessage, 'ts' | 'updates'>): SlackMessage {
    const posted = { ...message, ts: this.newTs(), updates: 0 };
    (posted.visibleTo ? this.ephemerals : this.messages).set(keyOf(posted), posted);
    this.changed();
    return posted;
  }

  /** Replaces a message's content in place; undefined when there is no such message. */
  replace(key: string, content: { text?: string; blocks: Block[] }): SlackMessage | undefined {
    const store = this.messages.has(key) ? this.messages : this.ephemerals;
    const existing = store.get(key);
    if (!existing) return undefined;
    const replaced = { ...existing, text: content.text, blocks: content.blocks, updates: existing.updates + 1 };
    store.set(key, replaced);
    this.changed();
    return replaced;
  }

  remove(key: string): boolean {
    const removed = this.messages.delete(key) || this.ephemerals.delete(key);
    if (removed) this.changed();
    return removed;
  }

  messagesIn(channel: string): SlackMessage[] {
    return [...this.messages.values()].filter((message) => message.channel === channel);
  }

  /** What `userId` sees in a channel: its messages and their own ephemeral ones, oldest first. */
  visibleIn(channel: string, userId: string): SlackMessage[] {
    const ephemeral = [...this.ephemerals.values()].filter(
      (message) => message.channel === channel && message.visibleTo === userId,
    );
    return [...this.messagesIn(channel), ...ephemeral].sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  openView(view: Record<string, unknown>, userId: string | undefined, below?: string): OpenView {
    const open: OpenView = { id: `V${String(++this.nextView).padStart(8, '0')}`, userId, view, below };
    this.views.set(open.id, open);
    this.changed();
    return open;
  }

  updateView(id: string, view: Record<string, unknown>): OpenView | undefined {
    const open = this.views.get(id);
    if (!open) return undefined;
    open.view = view;
    open.errors = undefined;
    this.changed();
    return open;
  }

  /** Closes a modal (and, with `all`, every modal under it). */
  closeView(id: string, all = false): void {
    const open = this.views.get(id);
    if (!open) return;
    this.views.delete(id);
    if (all && open.below) this.closeView(open.below, true);
    this.changed();
  }

  /** The modal on top of `userId`'s screen, if any. */
  topViewOf(userId: string): OpenView | undefined {
    const below = new Set([...this.views.values()].map((open) => open.below));
    return [...this.views.values()].find((open) => open.userId === userId && !below.has(open.id));
  }

  /** Tells listeners that something they show changed. */
  changed(): void {
    this.emit('changed');
  }
}

export function keyOf(message: { channel: string; ts: string }): string {
  return `${message.channel}:${message.ts}`;
}
