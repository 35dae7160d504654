import type { types } from '@slack/bolt';
import { clip, clipPlain, type Mrkdwn } from '../format.js';
import { LIMITS } from '../limits.js';
import type { Block, MessageBody, ModalView } from './types.js';

/**
 * The Block Kit pieces every message, view and reply is made of, clipped to Slack's limits. mrkdwn text objects are
 * made only here, and only from `Mrkdwn`, so everything shown as mrkdwn has been through the escape in format.ts.
 */

/** A mrkdwn text object. */
export function text(mrkdwn: Mrkdwn, max: number = LIMITS.sectionText): types.MrkdwnElement {
  return { type: 'mrkdwn', text: clip(mrkdwn, max).text };
}

/** A plain-text object; Slack shows it as typed, so it needs no escaping, only its length limit. */
export function plainText(label: string, max: number): types.PlainTextElement {
  return { type: 'plain_text', text: clipPlain(label, max) };
}

export function section(mrkdwn: Mrkdwn, accessory?: types.Button): types.SectionBlock {
  return { type: 'section', text: text(mrkdwn), ...(accessory ? { accessory } : {}) };
}

/** A section of short fields, shown side by side. */
export function fields(items: readonly Mrkdwn[]): types.SectionBlock {
  return {
    type: 'section',
    fields: items.slice(0, LIMITS.sectionFields).map((item) => text(item, LIMITS.fieldText)),
  };
}

export function context(mrkdwn: Mrkdwn): Block {
  return { type: 'context', elements: [text(mrkdwn, LIMITS.contextText)] };
}

export function header(title: string): Block {
  return { type: 'header', text: plainText(title, LIMITS.headerText) };
}

export function divider(): Block {
  return { type: 'divider' };
}

/** A block id: a prefix and an id, within Slack's limit. */
export function blockId(prefix: string, id: string): string {
  return `${prefix}:${id}`.slice(0, LIMITS.blockId);
}

/** A row of buttons. */
export function actions(id: string, elements: types.Button[]): Block {
  return { type: 'actions', block_id: id, elements: elements.slice(0, LIMITS.actionsElements) };
}

export function button(
  actionId: string,
  label: string,
  value: string,
  options: { style?: 'primary' | 'danger'; confirm?: types.ConfirmationDialog } = {},
): types.Button {
  return {
    type: 'button',
    action_id: actionId,
    text: plainText(label, LIMITS.buttonText),
    value: value.slice(0, LIMITS.buttonValue),
    ...options,
  };
}

/** A message: blocks, and the notification fallback (also mrkdwn, so also escaped). */
export function message(fallback: Mrkdwn, blocks: Block[]): MessageBody {
  return { text: clip(fallback, LIMITS.fallbackText).text, blocks: blocks.slice(0, LIMITS.messageBlocks) };
}

/** A reply of one section, with the same text as its fallback. */
export function reply(mrkdwn: Mrkdwn): MessageBody {
  return message(mrkdwn, [section(mrkdwn)]);
}

/**
 * A modal: its title and its submit and close labels (each within Slack's 24 characters), and its blocks. Without
 * `submit` it only informs, with Close alone; `callbackId` and `privateMetadata` come back with its submission.
 */
export function modal(view: {
  callbackId?: string;
  privateMetadata?: string;
  title: string;
  submit?: string;
  close: string;
  blocks: Block[];
}): ModalView {
  return {
    type: 'modal',
    ...(view.callbackId === undefined ? {} : { callback_id: view.callbackId }),
    ...(view.privateMetadata === undefined ? {} : { private_metadata: view.privateMetadata }),
    title: plainText(view.title, LIMITS.modalTitle),
    ...(view.submit === undefined ? {} : { submit: plainText(view.submit, LIMITS.modalTitle) }),
    close: plainText(view.close, LIMITS.modalTitle),
    blocks: view.blocks,
  };
}
