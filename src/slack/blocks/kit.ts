import type { types } from '@slack/bolt';
import { clip } from '../format.js';
import { LIMITS } from '../limits.js';
import type { Block } from './types.js';

/** The Block Kit pieces every message is made of, clipped to Slack's limits. */

export function section(mrkdwn: string, accessory?: types.Button): types.SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: clip(mrkdwn, LIMITS.sectionText) },
    ...(accessory ? { accessory } : {}),
  };
}

export function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn, LIMITS.contextText) }] };
}

export function header(title: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: title } };
}

export function button(
  actionId: string,
  label: string,
  value: string,
  options: { style?: 'primary' | 'danger'; confirm?: types.ConfirmationDialog } = {},
): types.Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, value, ...options };
}

export function actions(elements: types.Button[]): Block {
  return { type: 'actions', elements: elements.slice(0, LIMITS.actionsElements) };
}
