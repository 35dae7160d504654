import { randomBytes } from 'node:crypto';
import { type Block, dmChannelOf, keyOf, type SlackUser, type Workspace } from './workspace.js';

/**
 * The subset of Slack's Web API a bot like ours calls, answered from a Workspace with Slack's own answer shapes and
 * error codes (https://api.slack.com/methods).
 */

export type Args = Record<string, unknown>;
export type Answer = Record<string, unknown> & { ok: boolean };

export interface WebApiContext {
  workspace: Workspace;
  /** Who a trigger id (from a command or click) belongs to: a modal opens on their screen. */
  triggerOwner: (triggerId: string) => string | undefined;
  /** Channels the bot is not a member of. */
  closedChannels: ReadonlySet<string>;
  /** Where message links point: the emulator's page. */
  permalinkBase: string;
  /** Where file bytes are POSTed: the emulator's `/upload/<file id>`. */
  uploadBase: string;
}

type Method = (args: Args, context: WebApiContext) => Answer;

const fail = (error: string): Answer => ({ ok: false, error });

const METHODS: Record<string, Method> = {
  'auth.test': (_args, { workspace }) => ({
    ok: true,
    user_id: workspace.botUserId,
    bot_id: 'BBOT',
    team_id: 'T0TEST',
    user: workspace.users.get(workspace.botUserId)?.name ?? 'bot',
  }),

  'chat.postMessage': (args, { workspace, closedChannels }) => {
    const channel = dmChannelOf(String(args.channel ?? ''));
    if (!channel) return fail('channel_not_found');
    if (closedChannels.has(channel)) return fail('not_in_channel');
    if (!args.text && !args.blocks) return fail('no_text');
    const message = workspace.post({ channel, user: workspace.botUserId, text: text(args), blocks: blocks(args) });
    return { ok: true, channel, ts: message.ts, message };
  },

  'chat.postEphemeral': (args, { workspace, closedChannels }) => {
    const channel = String(args.channel ?? '');
    if (closedChannels.has(channel)) return fail('not_in_channel');
    const user = String(args.user ?? '');
    if (knowsPeople(workspace) && !workspace.users.has(user)) return fail('user_not_in_channel');
    const message = workspace.post({
      channel,
      user: workspace.botUserId,
      text: text(args),
      blocks: blocks(args),
      visibleTo: user,
    });
    return { ok: true, message_ts: message.ts };
  },

  'chat.update': (args, { workspace }) => {
    const key = keyOf({ channel: String(args.channel), ts: String(args.ts) });
    const updated = workspace.replace(key, { text: text(args), blocks: blocks(args) });
    return updated ? { ok: true, channel: args.channel, ts: args.ts } : fail('message_not_found');
  },

  'chat.delete': (args, { workspace }) =>
    workspace.remove(keyOf({ channel: String(args.channel), ts: String(args.ts) }))
      ? { ok: true, channel: args.channel, ts: args.ts }
      : fail('message_not_found'),

  'chat.getPermalink': (args, { workspace, permalinkBase }) => {
    const key = keyOf({ channel: String(args.channel), ts: String(args.message_ts) });
    if (!workspace.messages.has(key)) return fail('message_not_found');
    const ts = String(args.message_ts).replace('.', '');
    return { ok: true, channel: args.channel, permalink: `${permalinkBase}/archives/${args.channel}/p${ts}` };
  },

  // Slack's upload, in three steps: an upload URL for a file of a given length, a POST of the bytes to it, then
  // files.completeUploadExternal shares it in a conversation (a channel id: C…, G…, D…, never a user id).
  'files.getUploadURLExternal': (args, { workspace, uploadBase }) => {
    const filename = typeof args.filename === 'string' ? args.filename : '';
    const length = Number(args.length);
    if (!filename || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    workspace.files.set(id, { id, name: filename, length });
    return { ok: true, upload_url: `${uploadBase}/upload/${id}`, file_id: id };
  },

  'files.completeUploadExternal': (args, { workspace, closedChannels }) => {
    const files = (typeof args.files === 'string' ? safeJson(args.files) : args.files) as unknown;
    if (!Array.isArray(files) || files.length === 0) return fail('invalid_arguments');
    const channel = args.channel_id === undefined ? undefined : String(args.channel_id);
    if (channel !== undefined && !/^[CGDZ][A-Z0-9]+$/.test(channel)) return fail('invalid_arguments');
    if (channel && closedChannels.has(channel)) return fail('not_in_channel');
    const shared = [];
    for (const item of files as Array<{ id?: unknown; title?: unknown }>) {
      const file = workspace.files.get(String(item.id));
      if (!file?.bytes) return fail('file_not_found');
      const title = typeof item.title === 'string' ? item.title : file.name;
      shared.push({ id: file.id, name: file.name, title, size: file.bytes.length });
      Object.assign(file, { title, ...(channel ? { channel } : {}) });
    }
    if (channel) {
      workspace.post({
        channel,
        user: workspace.botUserId,
        text: typeof args.initial_comment === 'string' ? args.initial_comment : '',
        blocks: [],
        files: shared,
      });
    }
    return { ok: true, files: shared };
  },

  'conversations.open': (args) => {
    const users = String(args.users ?? '')
      .split(',')
      .filter(Boolean);
    return users.length === 1 ? { ok: true, channel: { id: dmChannelOf(users[0]!) } } : fail('not_implemented');
  },

  'users.info': (args, { workspace }) => {
    const user = workspace.users.get(String(args.user));
    return user ? { ok: true, user: userObject(user) } : fail('user_not_found');
  },

  'users.list': (args, { workspace }) => {
    const all = [...workspace.users.values()];
    const limit = Math.max(1, Math.min(Number(args.limit ?? 100) || 100, 1000));
    const offset = Number(args.cursor ?? 0) || 0;
    const next = offset + limit < all.length ? String(offset + limit) : '';
    return {
      ok: true,
      members: all.slice(offset, offset + limit).map(userObject),
      response_metadata: { next_cursor: next },
    };
  },

  'users.lookupByEmail': (args, { workspace }) => {
    const email = String(args.email ?? '').toLowerCase();
    const user = [...workspace.users.values()].find((candidate) => candidate.email?.toLowerCase() === email);
    return user ? { ok: true, user: userObject(user) } : fail('users_not_found');
  },

  'usergroups.users.list': (args, { workspace }) => ({
    ok: true,
    users: workspace.usergroups.get(String(args.usergroup)) ?? [],
  }),

  'views.open': (args, { workspace, triggerOwner }) => {
    const view = asObject(args.view);
    if (!view) return fail('invalid_arguments');
    const open = workspace.openView(view, triggerOwner(String(args.trigger_id)));
    return { ok: true, view: { ...view, id: open.id } };
  },

  'views.push': (args, { workspace, triggerOwner }) => {
    const view = asObject(args.view);
    if (!view) return fail('invalid_arguments');
    const userId = triggerOwner(String(args.trigger_id));
    const below = userId ? workspace.topViewOf(userId)?.id : undefined;
    const open = workspace.openView(view, userId, below);
    return { ok: true, view: { ...view, id: open.id } };
  },

  'views.publish': (args, { workspace }) => {
    const view = asObject(args.view);
    const userId = String(args.user_id ?? '');
    if (view?.type !== 'home') return fail('invalid_arguments');
    if (knowsPeople(workspace) && !workspace.users.has(userId)) return fail('user_not_found');
    const id = workspace.homes.get(userId)?.id ?? `VH${userId}`;
    workspace.homes.set(userId, { id, view });
    workspace.changed();
    return { ok: true, view: { ...view, id } };
  },

  'views.update': (args, { workspace }) => {
    const view = asObject(args.view);
    if (!view) return fail('invalid_arguments');
    const open = workspace.updateView(String(args.view_id), view);
    return open ? { ok: true, view: { ...view, id: open.id } } : fail('not_found');
  },
};

/** Whether people were registered (beyond the bot); a workspace without them accepts any user id. */
function knowsPeople(workspace: Workspace): boolean {
  return workspace.users.size > 1;
}

export function callWebApi(method: string, args: Args, context: WebApiContext): Answer {
  const handler = METHODS[method];
  return handler ? handler(args, context) : fail('unknown_method');
}

function userObject(user: SlackUser) {
  return {
    id: user.id,
    name: user.name,
    real_name: user.realName,
    is_bot: user.isBot ?? false,
    profile: {
      real_name: user.realName,
      display_name: user.name,
      title: user.title ?? '',
      ...(user.email ? { email: user.email } : {}),
    },
  };
}

function text(args: Args): string | undefined {
  return typeof args.text === 'string' ? args.text : undefined;
}

function blocks(args: Args): Block[] {
  const value = typeof args.blocks === 'string' ? safeJson(args.blocks) : args.blocks;
  return Array.isArray(value) ? (value as Block[]) : [];
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  const parsed = typeof value === 'string' ? safeJson(value) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

export function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
