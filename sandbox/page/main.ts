import {
  el,
  type Json,
  type RenderContext,
  readInputs,
  renderBlocks,
  renderInput,
  renderMrkdwn,
  renderText,
} from './blocks.js';

/**
 * The emulator's page: one pane per channel and one for DMs with the app, each with a composer; modals on top; the
 * host's side panel on the right. State comes from `/ui/state`, redrawn whenever `/ui/events` says it changed.
 */

interface User {
  id: string;
  name: string;
  realName: string;
  title?: string;
  isBot?: boolean;
}

interface Message {
  channel: string;
  ts: string;
  user?: string;
  text?: string;
  blocks: Json[];
  visibleTo?: string;
  files?: Array<{ id: string; name: string; title: string; size: number }>;
}

interface Pane {
  id: string;
  name: string;
  kind: 'channel' | 'dm';
  messages: Message[];
}

interface SideForm {
  id: string;
  fields: Array<{
    name: string;
    label: string;
    options?: Array<{ value: string; label: string }>;
    placeholder?: string;
  }>;
  buttons: Array<{ action: string; label: string; style?: 'primary' | 'danger' }>;
  hint?: string;
}

interface SideSection {
  title: string;
  rows: Array<{ title: string; detail?: string; tone?: 'ok' | 'error'; insert?: string }>;
  form?: SideForm;
}

interface State {
  title: string;
  /** How the app hears from Slack: signed HTTP requests, or envelopes on its Socket Mode connection. */
  mode: 'http' | 'socket';
  me: string;
  users: Record<string, User>;
  channels: Record<string, { name: string }>;
  people: User[];
  panes: Pane[];
  view: { id: string; view: Json; errors: Record<string, string> } | null;
  /** The app's Home tab for this person, once it has published one. */
  home: Json | null;
  side: SideSection[];
}

const root = document.getElementById('app')!;
const composers = new Map<string, HTMLInputElement>();
let lastComposer: HTMLInputElement | undefined;
let state: State | undefined;
let shownView = '';

function currentUser(): string {
  return new URLSearchParams(location.hash.slice(1)).get('as') ?? '';
}

async function post(action: string, body: Json): Promise<void> {
  const response = await fetch(`/ui/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ as: state?.me, ...body }),
  });
  const answer = (await response.json()) as { ok: boolean; error?: string };
  if (!answer.ok) toast(answer.error ?? 'That did not work.');
}

function toast(text: string): void {
  const node = el('div', { className: 'toast', text, attrs: { role: 'status' } });
  document.body.append(node);
  setTimeout(() => node.remove(), 4_000);
}

async function refresh(): Promise<void> {
  const response = await fetch(`/ui/state?as=${encodeURIComponent(currentUser())}`);
  state = (await response.json()) as State;
  if (!state.users[state.me] && state.people[0]) {
    location.hash = `as=${state.people[0].id}`;
    return;
  }
  draw(state);
}

let homeOpenedFor = '';

const MODE_DETAIL: Record<State['mode'], string> = {
  http: 'The app gets signed HTTP requests from Slack',
  socket: 'The app gets envelopes on the WebSocket it opened (Socket Mode)',
};

function draw(current: State): void {
  document.title = current.title;
  if (!root.firstChild) root.append(skeleton(current));
  drawIdentity(current);
  drawPanes(current);
  drawHome(current);
  drawSide(current);
  drawModal(current);
}

function skeleton(current: State): HTMLElement {
  const picker = el('select', { attrs: { id: 'who', 'aria-label': 'You are' } });
  picker.addEventListener('change', () => {
    location.hash = `as=${picker.value}`;
  });
  return el(
    'div',
    { className: 'shell' },
    el(
      'header',
      { className: 'top' },
      el(
        'h1',
        { text: current.title },
        el('span', {
          className: 'mode',
          text: current.mode === 'socket' ? 'Socket Mode' : 'HTTP mode',
          attrs: { title: MODE_DETAIL[current.mode] },
        }),
      ),
      el('label', { className: 'who', attrs: { for: 'who' } }, document.createTextNode('You are'), picker),
    ),
    el('main', { className: 'panes', attrs: { id: 'panes' } }, homePane()),
    el('aside', { className: 'side', attrs: { id: 'side', 'aria-label': 'Side panel' } }),
  );
}

function drawIdentity(current: State): void {
  const picker = document.getElementById('who') as HTMLSelectElement;
  picker.replaceChildren(
    ...current.people.map((person) =>
      el('option', {
        text: person.title ? `${person.realName} — ${person.title}` : person.realName,
        attrs: { value: person.id },
      }),
    ),
  );
  picker.value = current.me;
}

function context(current: State): RenderContext {
  return { users: current.users, channels: current.channels };
}

/** The app's Home tab, as Slack shows it beside the channels; opening it tells the app (`app_home_opened`). */
function homePane(): HTMLElement {
  const refresh = el('button', { className: 'button', text: 'Refresh', attrs: { type: 'button' } });
  refresh.addEventListener('click', () => void post('home', {}));
  return el(
    'section',
    { className: 'pane home', attrs: { id: 'home', 'aria-label': 'Home' } },
    el('h2', { className: 'pane-title' }, document.createTextNode('Home'), refresh),
    el('div', { className: 'messages' }),
  );
}

function drawHome(current: State): void {
  const list = document.querySelector<HTMLElement>('#home .messages')!;
  if (homeOpenedFor !== current.me) {
    homeOpenedFor = current.me;
    void post('home', {});
  }
  const render: RenderContext = {
    ...context(current),
    onButton: (button, blockId) => void post('click-home', { actionId: button.action_id, blockId }),
  };
  list.replaceChildren(
    current.home
      ? el('div', { className: 'message' }, ...renderBlocks((current.home.blocks as Json[]) ?? [], render))
      : el('p', { className: 'empty', text: 'The app has not drawn a Home tab.' }),
  );
}

function drawPanes(current: State): void {
  const panes = document.getElementById('panes')!;
  const wanted = current.panes.map((pane) => pane.id).join(',');
  if (panes.dataset.panes !== wanted) {
    panes.dataset.panes = wanted;
    // Panes already drawn are kept, so a line half typed (or being sent) survives a new DM pane appearing.
    const focused = document.activeElement;
    const kept = new Map<string, HTMLElement>();
    for (const section of panes.querySelectorAll<HTMLElement>('section.pane[data-pane]')) {
      kept.set(section.dataset.pane!, section);
    }
    for (const id of composers.keys()) if (!current.panes.some((pane) => pane.id === id)) composers.delete(id);
    panes.replaceChildren(
      ...current.panes.map((pane) => kept.get(pane.id) ?? paneSkeleton(pane)),
      document.getElementById('home') ?? homePane(),
    );
    if (focused instanceof HTMLElement && focused.isConnected) focused.focus();
  }
  for (const pane of current.panes) {
    const list = panes.querySelector<HTMLElement>(`[data-pane="${pane.id}"] .messages`)!;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(
      ...(pane.messages.length
        ? pane.messages.map((message) => messageNode(message, current))
        : [el('p', { className: 'empty', text: 'No messages yet.' })]),
    );
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
}

function paneSkeleton(pane: Pane): HTMLElement {
  const title = pane.kind === 'channel' ? `# ${pane.name}` : `Direct messages · ${pane.name}`;
  const input = el('input', {
    attrs: {
      type: 'text',
      'aria-label': pane.kind === 'channel' ? `Message #${pane.name}` : `Message ${pane.name}`,
      placeholder: pane.kind === 'channel' ? `Message #${pane.name} — try /waba help` : `Message ${pane.name}`,
      autocomplete: 'off',
    },
  });
  composers.set(pane.id, input);
  input.addEventListener('focus', () => {
    lastComposer = input;
  });
  const form = el('form', { className: 'composer' }, input, el('button', { text: 'Send', attrs: { type: 'submit' } }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.disabled = true;
    void post('command', { channel: pane.id, text }).finally(() => {
      input.value = '';
      input.disabled = false;
      input.focus();
    });
  });
  return el(
    'section',
    { className: `pane ${pane.kind}`, attrs: { 'data-pane': pane.id, 'aria-label': title } },
    el('h2', { text: title }),
    el('div', { className: 'messages', attrs: { role: 'log', 'aria-live': 'polite' } }),
    form,
  );
}

function messageNode(message: Message, current: State): HTMLElement {
  const author = message.user === 'USLACKBOT' ? 'Slackbot' : (current.users[message.user ?? '']?.realName ?? 'Someone');
  const time = new Date(Number(message.ts) * 1000).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  const key = `${message.channel}:${message.ts}`;
  const render: RenderContext = {
    ...context(current),
    onButton: (button, blockId) => {
      void post('click', { message: key, actionId: button.action_id, blockId });
    },
  };
  const body = message.blocks.length
    ? el('div', { className: 'blocks' }, ...renderBlocks(message.blocks, render))
    : renderMrkdwn(message.text ?? '', current);
  const ephemeral = message.visibleTo ? el('div', { className: 'ephemeral-note', text: 'Only visible to you' }) : null;
  const files = (message.files ?? []).map((file) =>
    el('a', {
      className: 'file',
      text: `📄 ${file.title} (${Math.max(1, Math.round(file.size / 1024))} KB)`,
      attrs: { href: `/files/${encodeURIComponent(file.id)}`, download: file.name },
    }),
  );
  return el(
    'article',
    { className: `message${message.visibleTo ? ' ephemeral' : ''}`, attrs: { 'data-ts': message.ts } },
    ...(ephemeral ? [ephemeral] : []),
    el('div', { className: 'meta' }, el('strong', { text: author }), el('span', { className: 'time', text: time })),
    body,
    ...files,
  );
}

function drawSide(current: State): void {
  const side = document.getElementById('side')!;
  // Forms already drawn are kept as they are, so what is being chosen or typed survives a redraw.
  const forms = new Map<string, HTMLFormElement>();
  for (const form of side.querySelectorAll<HTMLFormElement>('form[data-side-form]')) {
    forms.set(form.dataset.sideForm!, form);
  }
  side.replaceChildren(
    ...current.side.map((section) => {
      const key = section.form ? JSON.stringify(section.form) : '';
      const form = section.form ? (forms.get(key) ?? sideForm(section.form, key)) : undefined;
      return el(
        'section',
        { className: 'side-section', attrs: { 'aria-label': section.title } },
        el('h2', { text: section.title }),
        ...(form ? [form] : []),
        ...(section.rows.length || !form
          ? [
              el(
                'ol',
                {},
                ...(section.rows.length
                  ? section.rows.map((row) => sideRow(row))
                  : [el('li', { className: 'empty', text: 'Nothing yet.' })]),
              ),
            ]
          : []),
      );
    }),
  );
}

/** A host's form in the side panel: its buttons send the fields' values to the host. */
function sideForm(spec: SideForm, key: string): HTMLFormElement {
  const fields = spec.fields.map((field) => {
    const input = field.options
      ? el(
          'select',
          { attrs: { name: field.name } },
          ...field.options.map((option) => el('option', { text: option.label, attrs: { value: option.value } })),
        )
      : el('input', {
          attrs: { name: field.name, type: 'text', autocomplete: 'off', placeholder: field.placeholder ?? '' },
        });
    return el('label', { className: 'side-field' }, el('span', { text: field.label }), input);
  });
  const form = el('form', { className: 'side-form', attrs: { 'data-side-form': key, 'aria-label': spec.id } });
  const buttons = spec.buttons.map((action) => {
    const button = el('button', {
      className: `button${action.style ? ` ${action.style}` : ''}`,
      text: action.label,
      attrs: { type: 'button' },
    });
    button.addEventListener('click', () => {
      const values: Record<string, string> = {};
      for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
        values[input.name] = input.value;
      }
      void post('side', { form: spec.id, action: action.action, values });
    });
    return button;
  });
  form.append(
    ...fields,
    el('div', { className: 'side-buttons' }, ...buttons),
    ...(spec.hint ? [el('p', { className: 'side-detail', text: spec.hint })] : []),
  );
  form.addEventListener('submit', (event) => event.preventDefault());
  return form;
}

function sideRow(row: SideSection['rows'][number]): HTMLElement {
  const item = el(
    'li',
    { className: `side-row${row.tone ? ` ${row.tone}` : ''}` },
    el('div', { className: 'side-title', text: row.title }),
    ...(row.detail ? [el('div', { className: 'side-detail', text: row.detail })] : []),
  );
  if (row.insert) {
    const insert = row.insert;
    item.classList.add('insertable');
    item.title = 'Click to add to the message you are typing';
    item.addEventListener('click', () => {
      const input = lastComposer ?? composers.values().next().value;
      if (!input) return;
      input.value = `${input.value}${input.value && !input.value.endsWith(' ') ? ' ' : ''}${insert} `;
      input.focus();
    });
  }
  return item;
}

function drawModal(current: State): void {
  const open = current.view;
  const key = open ? JSON.stringify(open) : '';
  if (key === shownView) return;
  const previous = document.querySelector<HTMLElement>('.modal form');
  const kept = previous && open && previous.dataset.viewId === open.id ? readInputs(previous) : undefined;
  shownView = key;
  document.querySelector('.backdrop')?.remove();
  if (!open) return;

  const view = open.view;
  const render = context(current);
  const blocks = ((view.blocks as Json[] | undefined) ?? []).map((block) =>
    block.type === 'input'
      ? renderInput(block, open.errors[String(block.block_id)], render)
      : renderBlocks([block], render)[0]!,
  );
  const close = el('button', {
    className: 'button',
    text: String((view.close as Json | undefined)?.text ?? 'Cancel'),
    attrs: { type: 'button' },
  });
  close.addEventListener('click', () => void post('close', { view: open.id }));
  const submitLabel = (view.submit as Json | undefined)?.text;
  const form = el(
    'form',
    { attrs: { 'data-view-id': open.id } },
    el('div', { className: 'modal-body' }, ...blocks),
    el(
      'div',
      { className: 'modal-buttons' },
      close,
      ...(submitLabel
        ? [el('button', { className: 'button primary', text: String(submitLabel), attrs: { type: 'submit' } })]
        : []),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void post('submit', { view: open.id, inputs: readInputs(form) });
  });
  if (kept) restoreInputs(form, kept);
  const title = renderText(view.title, render);
  document.body.append(
    el(
      'div',
      { className: 'backdrop' },
      el(
        'div',
        { className: 'modal', attrs: { role: 'dialog', 'aria-modal': 'true', 'aria-label': title.textContent ?? '' } },
        el('h2', {}, title),
        form,
      ),
    ),
  );
  form.querySelector<HTMLElement>('input[type=text], textarea, select')?.focus();
}

/** Puts back what was typed when the same modal is drawn again (e.g. with the app's errors). */
function restoreInputs(form: HTMLElement, inputs: Record<string, string | string[]>): void {
  for (const [blockId, value] of Object.entries(inputs)) {
    const wrapper = form.querySelector<HTMLElement>(`[data-block-id="${CSS.escape(blockId)}"]`);
    if (!wrapper) continue;
    const values = Array.isArray(value) ? value : [value];
    const text = wrapper.querySelector<HTMLInputElement | HTMLTextAreaElement>('input[type=text], textarea');
    if (text) text.value = values[0] ?? '';
    for (const option of wrapper.querySelectorAll('option')) option.selected = values.includes(option.value);
    for (const choice of wrapper.querySelectorAll<HTMLInputElement>('input[type=radio], input[type=checkbox]')) {
      choice.checked = values.includes(choice.value);
    }
  }
}

// Changes arrive in bursts; one fetch at a time, and one more after it if anything changed meanwhile.
let refreshing: Promise<void> | undefined;
let stale = false;
function scheduleRefresh(): void {
  if (refreshing) {
    stale = true;
    return;
  }
  refreshing = refresh()
    .catch(() => toast('The emulator is not answering; is it still running?'))
    .finally(() => {
      refreshing = undefined;
      if (stale) {
        stale = false;
        scheduleRefresh();
      }
    });
}

addEventListener('hashchange', scheduleRefresh);
new EventSource('/ui/events').addEventListener('message', scheduleRefresh);
scheduleRefresh();
