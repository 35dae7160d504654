import { TASKS } from '../../access/tasks.js';
import { clipPlain, code, type Mrkdwn, mrkdwn, slackDate } from '../format.js';
import { FIELD, VIEW } from '../ids.js';
import { LIMITS } from '../limits.js';
import { section } from './kit.js';
import type { Block, ModalView } from './types.js';

/** The optional free-text reason both forms ask for. */
function reasonInput(): Block {
  return {
    type: 'input',
    block_id: FIELD.reason,
    optional: true,
    label: { type: 'plain_text', text: 'Reason' },
    element: { type: 'plain_text_input', action_id: FIELD.reason, multiline: true, max_length: 500 },
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

function accountInput({ aliases, defaultAlias }: AccountChoice): Block {
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
      initial_option: option(defaultAlias),
      // The default first, so it is offered even past Slack's cap on options.
      options: [defaultAlias, ...aliases.filter((alias) => alias !== defaultAlias)]
        .slice(0, LIMITS.selectOptions)
        .map(option),
    },
  };
}

/** `/waba` with no text: a form for a grant or revoke request. */
export function composeModal(metadata: ComposeMetadata, accounts?: AccountChoice): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW.compose,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Request WABA access' },
    submit: { type: 'plain_text', text: 'Send for approval' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      ...(accounts && accounts.aliases.length > 1 ? [accountInput(accounts)] : []),
      {
        type: 'input',
        block_id: FIELD.kind,
        label: { type: 'plain_text', text: 'What should happen?' },
        element: {
          type: 'radio_buttons',
          action_id: FIELD.kind,
          initial_option: { text: { type: 'plain_text', text: 'Grant tasks' }, value: 'grant' },
          options: [
            { text: { type: 'plain_text', text: 'Grant tasks' }, value: 'grant' },
            { text: { type: 'plain_text', text: 'Revoke all access' }, value: 'revoke' },
          ],
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
          options: TASKS.map((task) => ({ text: { type: 'plain_text', text: task }, value: task })),
        },
      },
      reasonInput(),
    ],
  };
}

/** Deny: an optional reason for the requester. */
export function denyModal(requestId: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW.deny,
    private_metadata: requestId,
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [section(mrkdwn`Deny request ${code(requestId)}? The requester will see your reason.`), reasonInput()],
  };
}

/**
 * Extend: how much longer a temporary grant should last; the extension then goes to approval. Without `endsAt` (the
 * form opens before the grant is read), the end is left out; updating the form keeps what was typed.
 */
export function extendModal(grantId: string, endsAt?: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW.extend,
    private_metadata: grantId,
    title: { type: 'plain_text', text: 'Extend access' },
    submit: { type: 'plain_text', text: 'Ask for approval' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        endsAt === undefined
          ? mrkdwn`Another approver decides on the extension.`
          : mrkdwn`Now ends ${slackDate(endsAt)}. Another approver decides on the extension.`,
      ),
      {
        type: 'input',
        block_id: FIELD.duration,
        label: { type: 'plain_text', text: 'How much longer?' },
        hint: { type: 'plain_text', text: 'A number and a unit: 30m, 4h, 2d.' },
        element: {
          type: 'plain_text_input',
          action_id: FIELD.duration,
          placeholder: { type: 'plain_text', text: '4h' },
        },
      },
    ],
  };
}

/**
 * What a form opened by a click becomes when the clicker may not use it: the reason, and only Close. Forms open
 * before the check because a click's trigger_id lives about 3 seconds.
 */
export function refusalModal(title: string, reason: Mrkdwn): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: clipPlain(title, LIMITS.modalTitle) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [section(reason)],
  };
}

/** The private answer when Slack would not open a form (the click's trigger_id had expired, or Slack was busy). */
export const FORM_NOT_OPENED_TEXT = mrkdwn`Slack didn’t let me open the form in time; nothing changed. Click the button again.`;
