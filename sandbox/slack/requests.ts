import { createHmac } from 'node:crypto';

/**
 * Builds and sends the requests Slack sends an app — slash commands and interactions — signed exactly as Slack signs
 * them (v0, HMAC-SHA256 over `v0:ts:body`). Used by the sandbox's emulator, the e2e tests and the benchmarks.
 */

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  timestamp?: number;
  signature?: string;
  /** Abort the request after this long (Slack gives an app 3 seconds). */
  timeoutMs?: number;
  /** Events API bodies are JSON; commands and interactions are forms. */
  json?: boolean;
}

export async function sendSigned(
  url: string,
  secret: string,
  body: string,
  options: SendOptions = {},
): Promise<{ status: number; body: string; json?: Record<string, unknown> }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? sign(secret, timestamp, body),
    },
    body,
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: text, json };
}

export function slashCommandBody(input: {
  text: string;
  userId: string;
  channelId: string;
  responseUrl: string;
  triggerId?: string;
  userName?: string;
  channelName?: string;
  command?: string;
}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    team_domain: 'test',
    channel_id: input.channelId,
    channel_name: input.channelName ?? 'test',
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command ?? '/waba',
    text: input.text,
    api_app_id: 'A0TEST',
    response_url: input.responseUrl,
    trigger_id: input.triggerId ?? `trigger-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

/** The fields every interaction payload carries. */
function interaction(type: 'block_actions' | 'view_submission', userId: string, triggerId?: string) {
  return {
    type,
    team: { id: 'T0TEST', domain: 'test' },
    user: { id: userId, username: userId.toLowerCase(), team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    trigger_id: triggerId ?? `trigger-${Math.random().toString(36).slice(2)}`,
  };
}

function asForm(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function blockActionBody(input: {
  actionId: string;
  value: string;
  userId: string;
  channelId: string;
  messageTs: string;
  responseUrl: string;
  blockId?: string;
  buttonText?: string;
  /** The clicked message as Slack sends it back; only its ts by default. */
  message?: { text?: string; blocks?: unknown[] };
  isEphemeral?: boolean;
  triggerId?: string;
  channelName?: string;
}): string {
  return asForm({
    ...interaction('block_actions', input.userId, input.triggerId),
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: input.isEphemeral ?? false,
    },
    channel: { id: input.channelId, name: input.channelName ?? 'approvals' },
    message: { type: 'message', ts: input.messageTs, text: '', ...input.message },
    response_url: input.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'decide',
        value: input.value,
        text: { type: 'plain_text', text: input.buttonText ?? 'x' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  });
}

export function viewSubmissionBody(input: {
  callbackId: string;
  userId: string;
  privateMetadata: string;
  values: Record<string, Record<string, unknown>>;
  viewId?: string;
  /** The rest of the view as it was opened (title, blocks…). */
  view?: Record<string, unknown>;
}): string {
  return asForm({
    ...interaction('view_submission', input.userId),
    view: {
      ...input.view,
      id: input.viewId ?? 'V0TEST',
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata,
      state: { values: input.values },
      hash: 'h',
      team_id: 'T0TEST',
      app_id: 'A0TEST',
      bot_id: 'BBOT',
      blocks: input.view?.blocks ?? [],
    },
  });
}

/** An Events API callback carrying `event`, as Slack posts it (JSON). */
export function eventCallbackBody(event: Record<string, unknown>): string {
  const now = Date.now() / 1000;
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0TEST',
    type: 'event_callback',
    event_id: `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    event_time: Math.floor(now),
    event: { event_ts: now.toFixed(6), ...event },
  });
}

/** A click on a button in a view (a modal or the Home tab): no response URL, the view instead of a message. */
export function viewActionBody(input: {
  actionId: string;
  blockId: string;
  value: string;
  userId: string;
  view: Record<string, unknown> & { id: string };
  triggerId?: string;
}): string {
  return asForm({
    ...interaction('block_actions', input.userId, input.triggerId),
    container: { type: 'view', view_id: input.view.id },
    view: input.view,
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId,
        value: input.value,
        action_ts: String(Date.now() / 1000),
      },
    ],
  });
}
