import type { DriftAction } from '../../access/drift-service.js';
import { parseDuration } from '../../access/duration.js';
import {
  driftClickReply,
  parseRowValue,
  parseTemporaryMetadata,
  type TemporaryFormMetadata,
  temporaryModal,
} from '../blocks/drift.js';
import { reply as replyBody } from '../blocks/kit.js';
import { DURATION_ERROR, FORM_NOT_OPENED_TEXT } from '../blocks/modals.js';
import { mrkdwn } from '../format.js';
import { FIELD } from '../ids.js';
import type { ListenerDeps } from './deps.js';
import { openForm, refuse, replaceForm } from './forms.js';
import { answerClick, type ButtonArgs, failureReply, tellUser, type ViewArgs } from './replies.js';
import { yieldToWaitingRequests } from './yield.js';

const MALFORMED = mrkdwn`That button no longer names a change I know; nothing changed.`;

/** Accept or Revert on a digest row: the digest shows what was done; a refusal is told privately. */
export function driftButton(deps: ListenerDeps, action: Exclude<DriftAction, 'temporary'>) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = parseRowValue(args.action.value);
    if (!ref) return answerClick(args, MALFORMED);
    await yieldToWaitingRequests();
    try {
      const result = await deps.drift.act(ref, args.body.user.id, action, {
        ...(args.body.channel?.id ? { channelId: args.body.channel.id } : {}),
      });
      await answerClick(args, driftClickReply(result));
    } catch (error) {
      args.logger.warn('drift action failed', error);
      await tellUser(args.client, args.body.user.id, args.body.channel?.id, failureReply(error));
    }
  };
}

/**
 * Make temporary asks for how long. The form opens first (the click's trigger lives about 3 seconds); whether the
 * clicker may act is checked after, and the form then says why not instead. The submission is checked again.
 */
export function driftTemporaryButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = parseRowValue(args.action.value);
    if (!ref) return answerClick(args, MALFORMED);
    const meta: TemporaryFormMetadata = {
      ...ref,
      ...(args.body.channel?.id ? { channelId: args.body.channel.id } : {}),
    };
    const view = temporaryModal(meta);
    const form = await openForm(args, view);
    await yieldToWaitingRequests();
    const verdict = await deps.drift.verdict(ref, args.body.user.id, 'temporary');
    if (verdict.kind !== 'allowed') return refuse(args, form, view.title.text, driftClickReply(verdict));
    if (!form) return answerClick(args, FORM_NOT_OPENED_TEXT);
    const maxMs = deps.accounts.forWaba(verdict.digest.wabaId)?.policy.durations.maxMs ?? 0;
    await replaceForm(args, form, temporaryModal(meta, { row: verdict.row, maxMs }));
  };
}

/** The Make temporary form: the time is checked before the ack, so a mistake shows next to the field. */
export function driftTemporarySubmission(deps: ListenerDeps) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const text = (view.state.values[FIELD.duration]?.[FIELD.duration]?.value ?? '').trim();
    const durationMs = parseDuration(text);
    if (durationMs === undefined)
      return ack({ response_action: 'errors', errors: { [FIELD.duration]: DURATION_ERROR } });
    const meta = parseTemporaryMetadata(view.private_metadata);
    await ack();
    const actorId = body.user.id;
    if (!meta) return tellUser(client, actorId, undefined, replyBody(MALFORMED));
    try {
      const result = await deps.drift.act(meta, actorId, 'temporary', {
        durationMs,
        ...(meta.channelId ? { channelId: meta.channelId } : {}),
      });
      // A submission has no response URL: the answer goes by DM, as for the other forms.
      const said = driftClickReply(result);
      if (said) await tellUser(client, actorId, undefined, replyBody(said));
    } catch (error) {
      logger.warn('make temporary failed', error);
      await tellUser(client, actorId, undefined, failureReply(error));
    }
  };
}

/** Previous / Next on a digest: redraws that message at the page asked for. */
export function driftPageButton(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const match = /^([a-z0-9-]{1,80}):(\d{1,6})$/.exec(args.action.value ?? '');
    const channel = args.body.channel?.id;
    const ts = args.body.message?.ts;
    if (!match || !channel || !ts) return answerClick(args, MALFORMED);
    await deps.drift.showPage(match[1]!, { channel, ts }, Number(match[2]));
  };
}
