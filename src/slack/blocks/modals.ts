import { formatDuration } from '../../access/duration.js';
import { TASKS } from '../../access/tasks.js';
import { clipPlain, code, type Mrkdwn, mrkdwn, slackDate } from '../format.js';
import { FIELD, VIEW } from '../ids.js';
import { LIMITS } from '../limits.js';
import { type Prefill, REASON_CHARS } from '../request-again.js';
import { modal, section } from './kit.js';
import type { Block, ModalView } from './types.js';

/** The optional free-text reason both forms ask for; `initial` fills it in. */
function reasonInput(initial?: string): Block {
  return {
    type: 'input',
    block_id: FIELD.reason,
    optional: true,
    label: { type: 'plain_text', text: 'Reason' },
    element: {
      type: 'plain_text_input',
      action_id: FIELD.reason,
      multiline: true,
      max_length: REASON_CHARS,
      ...(initial ? { initial_value: initial.slice(0, REASON_CHARS) } : {}),
    },
  };
}

/** How a duration is written, for form hints. */
export const DURATION_HINT = 'A number and a unit: 30m, 4h, 2d.';
/** A duration field's error when what was typed is not a duration. */
export const DURATION_ERROR = 'Use a number and a unit: 30m, 4h, 2d.';
/** The request form's duration may also be left empty (the account's default) or say `permanent`. */
export const COMPOSE_DURATION_ERROR = `${DURATION_ERROR} Or leave it empty for the account’s default, or write permanent.`;

/** The duration field of a form (Extend, the request form, Make temporary), read back by its `FIELD.duration` id. */
export function durationInput(options: {
  label: string;
  placeholder: string;
  optional?: boolean;
  hint?: string;
  initial?: string;
}): Block {
  return {
    type: 'input',
    block_id: FIELD.duration,
    ...(options.optional ? { optional: true } : {}),
    label: { type: 'plain_text', text: options.label },
    hint: { type: 'plain_text', text: options.hint ?? DURATION_HINT },
    element: {
      type: 'plain_text_input',
      action_id: FIELD.duration,
      placeholder: { type: 'plain_text', text: options.placeholder },
      ...(options.initial ? { initial_value: options.initial } : {}),
    },
  };
}

export interface ComposeMetadata {
  channelId: string;
}

/** Which account a form's request is for; the choice is shown only when there are several. */
export interface AccountChoice {
  aliases: readonly string[];
  defaultAlias: string;
}

function accountInput({ aliases, defaultAlias }: AccountChoice, chosen?: string): Block {
  const option = (alias: string) => ({
    text: { type: 'plain_text' as const, text: clipPlain(alias, LIMITS.optionText) },
    value: alias,
  });
  return {
    type: 'input',
    block_id: FIELD.account,
    label: { type: 'plain_text', text: 'Account' },
    element: {
      type: 'static_select',
      action_id: FIELD.account,
      initial_option: option(chosen && aliases.includes(chosen) ? chosen : defaultAlias),
      // The default first, so it is offered even past Slack's cap on options.
      options: [defaultAlias, ...aliases.filter((alias) => alias !== defaultAlias)]
        .slice(0, LIMITS.selectOptions)
        .map(option),
    },
  };
}

/** What the form can show beyond the basics. */
export interface ComposeOptions {
  /** Filled in as a finished request was (Request again). */
  prefill?: Prefill;
  /** Offer the Emergency tick box: someone may use break-glass on some account. */
  emergency?: boolean;
}

/** `/waba` with no text, or Request again: a form for a grant or revoke request. */
export function composeModal(
  metadata: ComposeMetadata,
  accounts?: AccountChoice,
  { prefill, emergency = false }: ComposeOptions = {},
): ModalView {
  const kinds = [option('Grant tasks', 'grant'), option('Revoke all access', 'revoke')];
  return modal({
    callbackId: VIEW.compose,
    privateMetadata: JSON.stringify(metadata),
    title: 'Request WABA access',
    submit: 'Send for approval',
    close: 'Cancel',
    blocks: [
      ...(accounts && accounts.aliases.length > 1 ? [accountInput(accounts, prefill?.account)] : []),
      {
        type: 'input',
        block_id: FIELD.kind,
        label: { type: 'plain_text', text: 'What should happen?' },
        element: {
          type: 'radio_buttons',
          action_id: FIELD.kind,
          initial_option: prefill?.kind === 'revoke' ? kinds[1]! : kinds[0]!,
          options: kinds,
        },
      },
      {
        type: 'input',
        block_id: FIELD.person,
        optional: true,
        label: { type: 'plain_text', text: 'Person' },
        hint: { type: 'plain_text', text: 'Someone an admin has linked to their Meta user (/waba link).' },
        element: {
          type: 'users_select',
          action_id: FIELD.person,
          placeholder: { type: 'plain_text', text: 'Choose a person' },
          ...(prefill?.person ? { initial_user: prefill.person } : {}),
        },
      },
      {
        type: 'input',
        block_id: FIELD.user,
        optional: true,
        label: { type: 'plain_text', text: 'Or their Meta business-user id' },
        hint: { type: 'plain_text', text: 'Digits only; find it in Meta Business Settings → Users.' },
        element: {
          type: 'plain_text_input',
          action_id: FIELD.user,
          placeholder: { type: 'plain_text', text: '1234567890' },
          // A request that named a person is asked again for that person; one made by id, by the id.
          ...(prefill && !prefill.person ? { initial_value: prefill.userId } : {}),
        },
      },
      {
        type: 'input',
        block_id: FIELD.tasks,
        optional: true,
        label: { type: 'plain_text', text: 'Tasks (for a grant)' },
        element: {
          type: 'multi_static_select',
          action_id: FIELD.tasks,
          placeholder: { type: 'plain_text', text: 'Choose tasks' },
          options: TASKS.map((task) => option(task, task)),
          ...(prefill?.tasks.length ? { initial_options: prefill.tasks.map((task) => option(task, task)) } : {}),
        },
      },
      durationInput({
        label: 'For how long (for a grant)',
        placeholder: '4h',
        optional: true,
        hint: `${DURATION_HINT} Empty: the account’s default.`,
        ...(prefill?.durationMs ? { initial: formatDuration(prefill.durationMs).replace(' ', '') } : {}),
      }),
      reasonInput(prefill?.reason),
      ...(emergency ? [emergencyInput()] : []),
    ],
  });
}

/** The Emergency tick box: break-glass, for the people allowed it. */
function emergencyInput(): Block {
  return {
    type: 'input',
    block_id: FIELD.emergency,
    optional: true,
    label: { type: 'plain_text', text: 'Emergency (break-glass)' },
    hint: {
      type: 'plain_text',
      text: 'Only for people allowed break-glass: carried out at once without approval, announced to the approvers and reviewed afterwards. Needs a reason; it always ends.',
    },
    element: {
      type: 'checkboxes',
      action_id: FIELD.emergency,
      options: [option('Emergency: grant now, review afterwards', 'emergency')],
    },
  };
}

function option(text: string, value: string) {
  return { text: { type: 'plain_text' as const, text }, value };
}

/** Deny: an optional reason for the requester. */
export function denyModal(requestId: string): ModalView {
  return modal({
    callbackId: VIEW.deny,
    privateMetadata: requestId,
    title: 'Deny request',
    submit: 'Deny',
    close: 'Back',
    blocks: [section(mrkdwn`Deny request ${code(requestId)}? The requester will see your reason.`), reasonInput()],
  });
}

/**
 * Extend: how much longer a temporary grant should last; the extension then goes to approval. Without `endsAt` (the
 * form opens before the grant is read), the end is left out; updating the form keeps what was typed.
 */
export function extendModal(grantId: string, endsAt?: string): ModalView {
  return modal({
    callbackId: VIEW.extend,
    privateMetadata: grantId,
    title: 'Extend access',
    submit: 'Ask for approval',
    close: 'Cancel',
    blocks: [
      section(
        endsAt === undefined
          ? mrkdwn`An approver other than you and the person it is for decides on the extension.`
          : mrkdwn`Now ends ${slackDate(endsAt)}. An approver other than you and the person it is for decides on the extension.`,
      ),
      durationInput({ label: 'How much longer?', placeholder: '4h' }),
    ],
  });
}

/**
 * What a form opened by a click becomes when the clicker may not use it: the reason, and only Close. Forms open
 * before the check because a click's trigger_id lives about 3 seconds.
 */
export function refusalModal(title: string, reason: Mrkdwn): ModalView {
  return modal({ title, close: 'Close', blocks: [section(reason)] });
}

/** The private answer when Slack would not open a form (the click's trigger_id had expired, or Slack was busy). */
export const FORM_NOT_OPENED_TEXT = mrkdwn`Slack didn’t let me open the form in time; nothing changed. Click the button again.`;
