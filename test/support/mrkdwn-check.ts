import { Mrkdwn } from '../../src/slack/format.js';
import { LIMITS } from '../../src/slack/limits.js';

/** The `<…>` tokens a message may carry: mentions of known actors, dates, and links the bot made itself. */
export interface AllowedTokens {
  users: readonly string[];
  groups?: readonly string[];
  channels?: readonly string[];
  /** Exact addresses of links the bot built (e.g. a permalink it asked Slack for). */
  links?: readonly string[];
}

/** Every text a person reads in a Slack payload, split by how Slack reads it. */
export function textsOf(payload: unknown): { mrkdwn: string[]; plain: string[] } {
  const found = { mrkdwn: [] as string[], plain: [] as string[] };
  const walk = (node: unknown) => {
    if (node instanceof Mrkdwn) return void found.mrkdwn.push(node.text);
    if (typeof node === 'string') return void found.mrkdwn.push(node);
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    // A text object, a message's fallback `text`, or a reply's `text`: only plain_text is not mrkdwn.
    if (typeof record.text === 'string') (record.type === 'plain_text' ? found.plain : found.mrkdwn).push(record.text);
    for (const [key, value] of Object.entries(record)) {
      // Ids and button values are not shown; errors of a form are plain text beside its fields.
      if (key === 'text' && typeof value === 'string') continue;
      if (['action_id', 'block_id', 'value', 'callback_id', 'private_metadata', 'type', 'style'].includes(key))
        continue;
      if (typeof value === 'string') continue;
      walk(value);
    }
  };
  walk(payload);
  return found;
}

const DATE = /^!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC$/;
/** A calendar day (history's days), with the day itself as the fallback. */
const DAY = /^!date\^\d+\^\{date_long\}\|\d{4}-\d\d-\d\d$/;

/** Live tokens the bot did not mean, stray `<` or `>`, bare `&`, and times written out by hand, in one mrkdwn text. */
export function mrkdwnProblems(text: string, allowed: AllowedTokens): string[] {
  const problems: string[] = [];
  const rest = text.replace(/<([^<>]*)>/g, (token, inside: string) => {
    const ok =
      allowed.users.some((id) => inside === `@${id}`) ||
      (allowed.groups ?? []).some((id) => inside === `!subteam^${id}`) ||
      (allowed.channels ?? []).some((id) => inside === `#${id}`) ||
      (allowed.links ?? []).some(
        (url) => inside.startsWith(`${url}|`) && !inside.slice(url.length + 1).includes('|'),
      ) ||
      DATE.test(inside) ||
      DAY.test(inside);
    if (!ok) problems.push(`live token ${token.slice(0, 80)}`);
    return ' ';
  });
  if (/[<>]/.test(rest)) problems.push(`stray < or > in ${excerpt(rest, /[<>]/)}`);
  if (/&(?!amp;|lt;|gt;)/.test(rest)) problems.push(`bare & in ${excerpt(rest, /&(?!amp;|lt;|gt;)/)}`);
  if (/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(rest)) problems.push(`ISO time in ${excerpt(rest, /\d{4}-\d\d-\d\dT/)}`);
  if (/\bUTC\b/.test(rest)) problems.push(`"UTC" written out in ${excerpt(rest, /\bUTC\b/)}`);
  return problems;
}

function excerpt(text: string, at: RegExp): string {
  const index = text.search(at);
  return JSON.stringify(text.slice(Math.max(0, index - 30), index + 30));
}

interface LooseBlock {
  type?: string;
  block_id?: string;
  text?: { text?: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ type?: string; text?: string | { text: string }; value?: string }>;
  element?: { options?: Array<{ text: { text: string } }> };
}

/** Slack's limits on one payload: a message (`text` and `blocks`), a view, or a bare text. */
export function limitProblems(payload: unknown): string[] {
  // A bare text is a piece of a message: where it is placed, the block clips it.
  if (payload instanceof Mrkdwn || !payload || typeof payload !== 'object') return [];
  const problems: string[] = [];
  const record = payload as { text?: unknown; blocks?: LooseBlock[]; type?: string; title?: { text: string } };
  if (typeof record.text === 'string' && record.text.length > LIMITS.fallbackText)
    problems.push(`fallback text of ${record.text.length} characters`);
  const isView = record.type === 'modal' || record.type === 'home';
  const blocks = Array.isArray(record.blocks) ? record.blocks : record.type ? [record as LooseBlock] : [];
  if (blocks.length > (isView ? LIMITS.viewBlocks : LIMITS.messageBlocks)) problems.push(`${blocks.length} blocks`);
  const view = payload as { title?: { text: string }; submit?: { text: string }; close?: { text: string } };
  for (const label of [view.title, view.submit, view.close])
    if (isView && label && label.text.length > LIMITS.modalTitle) problems.push('modal label too long');
  if (((payload as { private_metadata?: string }).private_metadata ?? '').length > LIMITS.privateMetadata)
    problems.push('private_metadata too long');
  for (const block of blocks) {
    if ((block.block_id ?? '').length > LIMITS.blockId) problems.push('block_id too long');
    if (block.type === 'section') {
      if ((block.text?.text ?? '').length > LIMITS.sectionText) problems.push('section text too long');
      if ((block.fields ?? []).length > LIMITS.sectionFields) problems.push('too many fields');
      for (const field of block.fields ?? []) if (field.text.length > LIMITS.fieldText) problems.push('field too long');
    }
    if (block.type === 'header' && (block.text?.text ?? '').length > LIMITS.headerText) problems.push('long header');
    if (block.type === 'context')
      for (const element of block.elements ?? [])
        if (typeof element.text === 'string' && element.text.length > LIMITS.contextText)
          problems.push('context too long');
    if (block.type === 'actions') {
      if ((block.elements ?? []).length > LIMITS.actionsElements) problems.push('too many buttons');
      for (const element of block.elements ?? []) {
        const label = typeof element.text === 'object' ? element.text.text : '';
        if (label.length > LIMITS.buttonText) problems.push('button text too long');
        if ((element.value ?? '').length > LIMITS.buttonValue) problems.push('button value too long');
      }
    }
    for (const option of block.element?.options ?? [])
      if (option.text.text.length > LIMITS.optionText) problems.push('option text too long');
  }
  return problems;
}
