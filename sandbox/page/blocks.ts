import { formatSlackDate, type Inline, type Paragraph, parseMrkdwn } from './mrkdwn.js';

/**
 * Block Kit to DOM: the blocks and elements Slack documents for messages and modals
 * (https://api.slack.com/reference/block-kit). What is not covered shows as a labelled placeholder, never silently.
 */

export type Json = Record<string, unknown>;

export interface Directory {
  users: Record<string, { name: string; realName: string; isBot?: boolean }>;
  channels: Record<string, { name: string }>;
}

export interface RenderContext extends Directory {
  /** A click on a button, with the id of the block it sits in. */
  onButton?: (button: Json, blockId: string) => void;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A text object: plain_text as is, mrkdwn formatted. */
export function renderText(text: unknown, directory: Directory): HTMLElement {
  const object = (text ?? {}) as { type?: string; text?: string };
  if (object.type !== 'mrkdwn') return el('span', { className: 'plain', text: object.text ?? '' });
  return renderMrkdwn(object.text ?? '', directory);
}

export function renderMrkdwn(text: string, directory: Directory): HTMLElement {
  return el(
    'div',
    { className: 'mrkdwn' },
    ...parseMrkdwn(text).map((paragraph) => paragraphNode(paragraph, directory)),
  );
}

function paragraphNode(paragraph: Paragraph, directory: Directory): Node {
  if (paragraph.kind === 'pre') return el('pre', { text: paragraph.text });
  const node = el(paragraph.kind === 'quote' ? 'blockquote' : 'p');
  node.append(...paragraph.inlines.map((inline) => inlineNode(inline, directory)));
  return node;
}

function inlineNode(inline: Inline, directory: Directory): Node {
  switch (inline.kind) {
    case 'text':
      return document.createTextNode(inline.text);
    case 'bold':
      return el('strong', {}, ...inline.children.map((child) => inlineNode(child, directory)));
    case 'italic':
      return el('em', {}, ...inline.children.map((child) => inlineNode(child, directory)));
    case 'strike':
      return el('s', {}, ...inline.children.map((child) => inlineNode(child, directory)));
    case 'code':
      return el('code', { text: inline.text });
    case 'break':
      return el('br');
    case 'link':
      return el('a', { text: inline.label, attrs: { href: inline.url, target: '_blank', rel: 'noreferrer' } });
    case 'user':
      return el('span', {
        className: 'mention',
        text: `@${directory.users[inline.id]?.realName ?? inline.label ?? inline.id}`,
        attrs: { title: inline.id },
      });
    case 'channel':
      return el('span', {
        className: 'mention',
        text: `#${directory.channels[inline.id]?.name ?? inline.label ?? inline.id}`,
      });
    case 'group':
      return el('span', { className: 'mention', text: `@${inline.label ?? inline.id}` });
    case 'broadcast':
      return el('span', { className: 'mention broadcast', text: `@${inline.name}` });
    case 'date':
      return el('time', {
        text: formatSlackDate(inline.seconds, inline.format),
        attrs: { datetime: new Date(inline.seconds * 1000).toISOString(), title: inline.fallback },
      });
  }
}

/** Blocks of a message or a modal's non-input blocks. */
export function renderBlocks(blocks: Json[], context: RenderContext): HTMLElement[] {
  return blocks.map((block) => renderBlock(block, context));
}

function renderBlock(block: Json, context: RenderContext): HTMLElement {
  const blockId = String(block.block_id ?? '');
  switch (block.type) {
    case 'header':
      return el('h3', { className: 'block header', text: String((block.text as Json)?.text ?? '') });
    case 'divider':
      return el('hr', { className: 'block divider' });
    case 'section': {
      const node = el('div', { className: 'block section' });
      const body = el('div', { className: 'section-body' });
      if (block.text) body.append(renderText(block.text, context));
      const fields = (block.fields as Json[] | undefined) ?? [];
      if (fields.length) body.append(el('div', { className: 'fields' }, ...fields.map((f) => renderText(f, context))));
      node.append(body);
      if (block.accessory) node.append(renderElement(block.accessory as Json, blockId, context));
      return node;
    }
    case 'context':
      return el(
        'div',
        { className: 'block context' },
        ...((block.elements as Json[] | undefined) ?? []).map((element) =>
          element.type === 'image' ? image(element) : renderText(element, context),
        ),
      );
    case 'actions':
      return el(
        'div',
        { className: 'block actions' },
        ...((block.elements as Json[] | undefined) ?? []).map((element) => renderElement(element, blockId, context)),
      );
    case 'image':
      return el('div', { className: 'block' }, image(block));
    default:
      return unsupported('block', block.type);
  }
}

function renderElement(element: Json, blockId: string, context: RenderContext): HTMLElement {
  if (element.type === 'image') return image(element);
  if (element.type !== 'button') return unsupported('element', element.type);
  const style = element.style === 'primary' || element.style === 'danger' ? ` ${element.style}` : '';
  const button = el('button', {
    className: `button${style}`,
    text: String((element.text as Json)?.text ?? ''),
    attrs: { type: 'button', 'data-action-id': String(element.action_id ?? '') },
  });
  if (element.url) {
    button.addEventListener('click', () => window.open(String(element.url), '_blank', 'noreferrer'));
  } else if (context.onButton) {
    button.addEventListener('click', () => context.onButton?.(element, blockId));
  }
  return button;
}

function image(element: Json): HTMLElement {
  return el('img', {
    className: 'image',
    attrs: { src: String(element.image_url ?? ''), alt: String(element.alt_text ?? '') },
  });
}

function unsupported(what: string, type: unknown): HTMLElement {
  return el('div', { className: 'unsupported', text: `[${what} "${String(type)}" is not shown in this emulator]` });
}

/** The inputs of a modal: one control per input block, labelled, with its hint and any error the app returned. */
export function renderInput(block: Json, error: string | undefined, context: RenderContext): HTMLElement {
  const blockId = String(block.block_id ?? '');
  const element = (block.element ?? {}) as Json;
  const label = String((block.label as Json)?.text ?? '');
  const controlId = `input-${blockId}`;
  const wrapper = el('div', { className: 'block input', attrs: { 'data-block-id': blockId } });
  wrapper.append(
    el(
      'label',
      { className: 'input-label', attrs: { for: controlId } },
      document.createTextNode(label),
      ...(block.optional ? [el('span', { className: 'optional', text: ' (optional)' })] : []),
    ),
  );
  wrapper.append(control(element, controlId, label, context));
  if (block.hint) wrapper.append(el('div', { className: 'hint' }, renderText(block.hint, context)));
  if (error) wrapper.append(el('div', { className: 'input-error', text: error, attrs: { role: 'alert' } }));
  return wrapper;
}

interface Option {
  text: Json;
  value: string;
}

/** A person picker lists the workspace's people, as Slack's does. */
function peopleOptions(directory: Directory): Option[] {
  return Object.entries(directory.users)
    .filter(([, user]) => !user.isBot)
    .map(([id, user]) => ({ text: { type: 'plain_text', text: user.realName }, value: id }));
}

function control(element: Json, id: string, label: string, directory: Directory): HTMLElement {
  const people = element.type === 'users_select' || element.type === 'multi_users_select';
  const options = people ? peopleOptions(directory) : ((element.options as Option[] | undefined) ?? []);
  const placeholder = String((element.placeholder as Json)?.text ?? '');
  switch (element.type) {
    case 'plain_text_input': {
      const input = element.multiline
        ? el('textarea', { attrs: { rows: '3' } })
        : el('input', { attrs: { type: 'text' } });
      input.id = id;
      input.name = id;
      input.placeholder = placeholder;
      input.value = String(element.initial_value ?? '');
      if (element.max_length) input.maxLength = Number(element.max_length);
      return input;
    }
    case 'static_select':
    case 'multi_static_select':
    case 'users_select':
    case 'multi_users_select': {
      const multiple = element.type === 'multi_static_select' || element.type === 'multi_users_select';
      const select = el('select', { attrs: { id, name: id } });
      select.multiple = multiple;
      if (multiple) select.size = Math.min(options.length, 6);
      else select.append(el('option', { text: placeholder || 'Choose…', attrs: { value: '' } }));
      const initial = new Set(
        [element.initial_option as Option | undefined, ...((element.initial_options as Option[] | undefined) ?? [])]
          .filter(Boolean)
          .map((option) => option!.value),
      );
      // A users_select names its chosen person by id.
      if (typeof element.initial_user === 'string') initial.add(element.initial_user);
      for (const option of options) {
        const node = el('option', { text: String(option.text.text ?? option.value), attrs: { value: option.value } });
        node.selected = initial.has(option.value);
        select.append(node);
      }
      return select;
    }
    case 'radio_buttons':
    case 'checkboxes': {
      const type = element.type === 'radio_buttons' ? 'radio' : 'checkbox';
      const initial = (element.initial_option as Option | undefined)?.value;
      const initials = ((element.initial_options as Option[] | undefined) ?? []).map((option) => option.value);
      const group = el('div', { className: 'choices', attrs: { id, role: 'group', 'aria-label': label } });
      for (const option of options) {
        const input = el('input', { attrs: { type, name: id, value: option.value } });
        input.checked = option.value === initial || initials.includes(option.value);
        group.append(
          el('label', { className: 'choice' }, input, document.createTextNode(String(option.text.text ?? ''))),
        );
      }
      return group;
    }
    default:
      return unsupported('input', element.type);
  }
}

/** What a person entered in a modal's controls, by block id, in the shape the emulator expects. */
export function readInputs(form: HTMLElement): Record<string, string | string[]> {
  const inputs: Record<string, string | string[]> = {};
  for (const wrapper of form.querySelectorAll<HTMLElement>('[data-block-id]')) {
    const blockId = wrapper.dataset.blockId ?? '';
    const select = wrapper.querySelector('select');
    const text = wrapper.querySelector<HTMLInputElement | HTMLTextAreaElement>('input[type=text], textarea');
    const choices = [...wrapper.querySelectorAll<HTMLInputElement>('input[type=radio], input[type=checkbox]')];
    if (select) {
      const values = [...select.selectedOptions].map((option) => option.value).filter(Boolean);
      inputs[blockId] = select.multiple ? values : (values[0] ?? '');
    } else if (text) {
      inputs[blockId] = text.value;
    } else if (choices.length) {
      const checked = choices.filter((choice) => choice.checked).map((choice) => choice.value);
      inputs[blockId] = choices[0]!.type === 'radio' ? (checked[0] ?? '') : checked;
    }
  }
  return inputs;
}
