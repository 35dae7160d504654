import { randomBytes } from 'node:crypto';
import {
  blockActionBody,
  eventCallbackBody,
  sendSigned,
  slashCommandBody,
  viewActionBody,
  viewSubmissionBody,
} from './requests.js';
import type { EnvelopeType, SocketModeServer } from './socket-mode.js';
import { type Block, dmChannelOf, type OpenView, type Workspace } from './workspace.js';

/**
 * What passes between Slack and the app, both ways: slash commands, button clicks and modal submissions sent to the
 * app's request URL, signed as Slack signs them (HTTP mode), or as envelopes on its socket (Socket Mode), with
 * Slack's 3-second limit; and what the app sends back, in its HTTP answer or its ack's payload, or later on a
 * response URL, applied to the workspace as Slack would.
 */

/** Slack waits this long for the app's answer before telling the person the command failed. */
const SLACK_TIMEOUT_MS = 3_000;
export const SLACKBOT = 'USLACKBOT';

interface ResponseContext {
  channel: string;
  userId: string;
  /** The message a click came from, which `replace_original` and `delete_original` act on. */
  originalKey?: string;
}

/** A person's input in a modal, by block id: text, one option value, or several. */
export type ViewInputs = Record<string, string | string[] | undefined>;

export interface AppLinkOptions {
  signingSecret: string;
  /** Base of the emulator's response URLs. */
  responseBase: () => string;
  /** Where envelopes go in Socket Mode. */
  socket: SocketModeServer;
}

/** How the app hears from Slack: signed requests to its request URL, or envelopes on the socket it opened. */
export type AppMode = 'http' | 'socket';

export class AppLink {
  /** Where the app receives Slack's requests (`…/slack/events`); set once the app is up. */
  requestUrl?: string;
  mode: AppMode = 'http';
  private readonly contexts = new Map<string, ResponseContext>();
  private readonly triggers = new Map<string, string>();

  constructor(
    private readonly workspace: Workspace,
    private readonly options: AppLinkOptions,
  ) {}

  triggerOwner(triggerId: string): string | undefined {
    return this.triggers.get(triggerId);
  }

  /** `/command text` typed by `userId` in `channel`. */
  async command(userId: string, channel: string, command: string, text: string): Promise<void> {
    const body = slashCommandBody({
      text,
      userId,
      channelId: channel,
      channelName: this.workspace.channels.get(channel)?.name ?? 'directmessage',
      userName: this.workspace.users.get(userId)?.name,
      responseUrl: this.newResponseUrl({ channel, userId }),
      triggerId: this.newTrigger(userId),
      command,
    });
    const reply = await this.send(body, userId, channel, command);
    if (reply && (reply.text || reply.blocks)) this.postReply(reply, { channel, userId });
  }

  /** A click on a button of a message `userId` can see. */
  async click(userId: string, messageKey: string, actionId: string, blockId?: string): Promise<void> {
    const message = this.workspace.messages.get(messageKey) ?? this.workspace.ephemerals.get(messageKey);
    const button = message && findButton(message.blocks, actionId, blockId);
    if (!message || !button) throw new Error('That button is no longer there.');
    const body = blockActionBody({
      actionId,
      blockId: button.blockId,
      value: String(button.element.value ?? ''),
      buttonText: String((button.element.text as { text?: string } | undefined)?.text ?? ''),
      userId,
      channelId: message.channel,
      channelName: this.workspace.channels.get(message.channel)?.name ?? 'directmessage',
      messageTs: message.ts,
      message: { text: message.text ?? '', blocks: message.blocks },
      isEphemeral: Boolean(message.visibleTo),
      responseUrl: this.newResponseUrl({ channel: message.channel, userId, originalKey: messageKey }),
      triggerId: this.newTrigger(userId),
    });
    await this.send(body, userId, message.channel);
  }

  /** A person opens the app's Home tab: the app hears `app_home_opened` and publishes the view. */
  async openHome(userId: string): Promise<void> {
    const body = eventCallbackBody({
      type: 'app_home_opened',
      user: userId,
      channel: dmChannelOf(userId),
      tab: 'home',
    });
    await this.send(body, userId, undefined, undefined, true);
  }

  /** A click on a button of a person's Home tab. */
  async clickHome(userId: string, actionId: string, blockId?: string): Promise<void> {
    const home = this.workspace.homes.get(userId);
    const button = home && findButton((home.view.blocks as Block[] | undefined) ?? [], actionId, blockId);
    if (!home || !button) throw new Error('That button is no longer there.');
    const body = viewActionBody({
      actionId,
      blockId: button.blockId,
      value: String(button.element.value ?? ''),
      userId,
      view: { ...home.view, id: home.id },
      triggerId: this.newTrigger(userId),
    });
    await this.send(body, userId);
  }

  /** Submit on a modal: required inputs are checked first, as Slack's client does, then the app decides. */
  async submitView(userId: string, viewId: string, inputs: ViewInputs): Promise<void> {
    const open = this.workspace.views.get(viewId);
    if (!open || open.userId !== userId) throw new Error('That form is no longer open.');
    const { values, missing } = viewState(open.view, inputs);
    if (Object.keys(missing).length > 0) {
      open.errors = missing;
      this.workspace.changed();
      return;
    }
    const body = viewSubmissionBody({
      callbackId: String(open.view.callback_id ?? ''),
      userId,
      privateMetadata: String(open.view.private_metadata ?? ''),
      values,
      viewId,
      view: open.view,
    });
    this.applyViewAnswer(open, await this.send(body, userId));
  }

  /** What the app posted to a response URL. */
  respond(id: string, body: Record<string, unknown>): void {
    const context = this.contexts.get(id);
    if (!context) return;
    const original = context.originalKey;
    if (body.delete_original === true && original) {
      this.workspace.remove(original);
      return;
    }
    if (body.replace_original === true && original) {
      this.workspace.replace(original, { text: asText(body.text), blocks: asBlocks(body.blocks) });
      return;
    }
    this.postReply(body, context);
  }

  private applyViewAnswer(open: OpenView, answer: Record<string, unknown> | undefined): void {
    switch (answer?.response_action) {
      case 'errors':
        open.errors = (answer.errors as Record<string, string>) ?? {};
        this.workspace.changed();
        return;
      case 'update':
        this.workspace.updateView(open.id, answer.view as Record<string, unknown>);
        return;
      case 'push':
        this.workspace.openView(answer.view as Record<string, unknown>, open.userId, open.id);
        return;
      case 'clear':
        this.workspace.closeView(open.id, true);
        return;
      default:
        this.workspace.closeView(open.id);
    }
  }

  /** A reply to a person: in the channel for all to see, or (Slack's default) ephemeral. */
  private postReply(reply: Record<string, unknown>, context: ResponseContext): void {
    this.workspace.post({
      channel: context.channel,
      user: this.workspace.botUserId,
      text: asText(reply.text),
      blocks: asBlocks(reply.blocks),
      ...(reply.response_type === 'in_channel' ? {} : { visibleTo: context.userId }),
    });
  }

  /**
   * Sends what Slack would (a signed request, or an envelope on the socket) and answers with the app's answer: the
   * HTTP body, or the ack's payload, as JSON. On failure tells the person what Slack would, and answers undefined.
   */
  private async send(
    body: string,
    userId: string,
    channel?: string,
    command?: string,
    json = false,
  ): Promise<Record<string, unknown> | undefined> {
    const failed = (error: string) => {
      if (channel) {
        const what = command ? `${command} failed` : 'The app did not answer';
        this.workspace.post({
          channel,
          user: SLACKBOT,
          text: `${what} with the error "${error}"`,
          blocks: [],
          visibleTo: userId,
        });
      }
      return undefined;
    };
    if (this.mode === 'socket') {
      const delivery = await this.options.socket.deliver(...envelopeOf(body, json));
      if (delivery.kind === 'acked') return delivery.payload;
      return failed(delivery.kind === 'not-acknowledged' ? 'operation_timeout' : 'dispatch_failed');
    }
    if (!this.requestUrl) return failed('dispatch_failed');
    try {
      const answer = await sendSigned(this.requestUrl, this.options.signingSecret, body, {
        timeoutMs: SLACK_TIMEOUT_MS,
        json,
      });
      return answer.status === 200 ? parseJson(answer.body) : failed(`http_service_error_${answer.status}`);
    } catch (error) {
      return failed((error as Error).name === 'TimeoutError' ? 'operation_timeout' : 'dispatch_failed');
    }
  }

  private newResponseUrl(context: ResponseContext): string {
    const id = randomBytes(9).toString('base64url');
    this.contexts.set(id, context);
    return `${this.options.responseBase()}/response/${id}`;
  }

  private newTrigger(userId: string): string {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, userId);
    return id;
  }
}

interface FoundButton {
  blockId: string;
  element: Record<string, unknown>;
}

function findButton(blocks: Block[], actionId: string, blockId?: string): FoundButton | undefined {
  for (const block of blocks) {
    if (blockId && block.block_id !== blockId) continue;
    const elements = [
      ...((block.elements as Block[] | undefined) ?? []),
      ...(block.accessory ? [block.accessory as Block] : []),
    ];
    const element = elements.find((candidate) => candidate.type === 'button' && candidate.action_id === actionId);
    if (element) return { blockId: String(block.block_id ?? ''), element };
  }
  return undefined;
}

interface Option {
  text: unknown;
  value: string;
}

/** The `view.state.values` Slack sends for a modal's inputs, and the required inputs left empty. */
export function viewState(view: Record<string, unknown>, inputs: ViewInputs) {
  const values: Record<string, Record<string, unknown>> = {};
  const missing: Record<string, string> = {};
  for (const block of (view.blocks as Block[] | undefined) ?? []) {
    if (block.type !== 'input') continue;
    const blockId = String(block.block_id ?? '');
    const element = (block.element ?? {}) as Record<string, unknown>;
    const options = (element.options as Option[] | undefined) ?? [];
    const raw = inputs[blockId];
    const chosen = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((value) => value !== '');
    let state: Record<string, unknown>;
    switch (element.type) {
      case 'static_select':
      case 'radio_buttons':
        state = { selected_option: options.find((option) => option.value === chosen[0]) ?? null };
        break;
      case 'multi_static_select':
      case 'checkboxes':
        state = { selected_options: options.filter((option) => chosen.includes(option.value)) };
        break;
      case 'users_select':
        state = { selected_user: chosen[0] ?? null };
        break;
      case 'multi_users_select':
        state = { selected_users: chosen };
        break;
      default:
        state = { value: chosen[0] ?? null };
    }
    values[blockId] = { [String(element.action_id ?? '')]: { type: element.type, ...state } };
    if (chosen.length === 0 && block.optional !== true) missing[blockId] = 'Please complete this required field.';
  }
  return { values, missing };
}

/**
 * The envelope Slack sends in Socket Mode for what it would post over HTTP: a command's fields, an interaction's
 * payload, or an event callback, as JSON. Commands and view submissions accept a response payload in their ack.
 */
function envelopeOf(
  body: string,
  json: boolean,
): [type: EnvelopeType, payload: Record<string, unknown>, acceptsPayload: boolean] {
  if (json) return ['events_api', parseJson(body) ?? {}, false];
  const form = new URLSearchParams(body);
  const interaction = form.get('payload');
  if (interaction === null) return ['slash_commands', Object.fromEntries(form), true];
  const payload = parseJson(interaction) ?? {};
  return ['interactive', payload, payload.type === 'view_submission'];
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asBlocks(value: unknown): Block[] {
  return Array.isArray(value) ? (value as Block[]) : [];
}
