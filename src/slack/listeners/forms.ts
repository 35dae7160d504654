import { refusalModal } from '../blocks/modals.js';
import type { ModalView } from '../blocks/types.js';
import type { Mrkdwn } from '../format.js';
import { answerClick, type ButtonArgs } from './replies.js';

/** A form opened by a click, as `views.update` needs it. */
export interface OpenedForm {
  id: string;
  hash?: string;
}

/**
 * Opens a form for the click at once: its trigger_id lives about 3 seconds, so nothing (store, Slack, yielding to
 * other requests) may come first. Undefined when Slack would not open it.
 */
export async function openForm(args: ButtonArgs, view: ModalView): Promise<OpenedForm | undefined> {
  try {
    const opened = await args.client.views.open({ trigger_id: args.body.trigger_id, view });
    const id = opened.view?.id;
    if (!id) return undefined;
    return opened.view?.hash ? { id, hash: opened.view.hash } : { id };
  } catch (error) {
    args.logger.warn('form did not open', error);
    return undefined;
  }
}

/** Replaces a form opened by `openForm`; false when Slack would not (the person closed or sent it meanwhile). */
export async function replaceForm(args: ButtonArgs, form: OpenedForm, view: ModalView): Promise<boolean> {
  try {
    await args.client.views.update({ view_id: form.id, ...(form.hash ? { hash: form.hash } : {}), view });
    return true;
  } catch (error) {
    args.logger.warn('form not updated', error);
    return false;
  }
}

/**
 * Tells a clicker who may not act why, privately: in the form they just opened (turned into the reason and Close),
 * or, when there is no form to turn, as a private reply.
 */
export async function refuse(
  args: ButtonArgs,
  form: OpenedForm | undefined,
  title: string,
  reason: Mrkdwn | undefined,
) {
  if (!reason) return;
  if (form && (await replaceForm(args, form, refusalModal(title, reason)))) return;
  await answerClick(args, reason);
}
