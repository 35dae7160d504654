import { parseDuration } from '../../access/duration.js';
import { checkBreakGlass, checkDraft } from '../../access/rules.js';
import { isTask, type Task } from '../../access/tasks.js';
import { isMetaId } from '../../graph/ids.js';
import { breakGlassReply } from '../blocks/break-glass.js';
import { reply as replyBody } from '../blocks/kit.js';
import { COMPOSE_DURATION_ERROR, type ComposeMetadata, DURATION_ERROR } from '../blocks/modals.js';
import { formFieldError } from '../blocks/outcomes.js';
import { submitReply } from '../blocks/replies.js';
import { FIELD } from '../ids.js';
import type { ListenerDeps } from './deps.js';
import { clickReply, failureReply, tellUser, type ViewArgs } from './replies.js';

type Values = ViewArgs['view']['state']['values'];

function field(values: Values, id: string) {
  return values[id]?.[id];
}

function parseMetadata(raw: string): ComposeMetadata | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<ComposeMetadata>;
    return typeof parsed.channelId === 'string' ? { channelId: parsed.channelId } : undefined;
  } catch {
    return undefined;
  }
}

/** The compose form: checked before the ack, so mistakes show next to the field and the form stays open. */
export function composeSubmission(deps: ListenerDeps) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const values = view.state.values;
    const kind = field(values, FIELD.kind)?.selected_option?.value === 'revoke' ? 'revoke' : 'grant';
    const typedId = (field(values, FIELD.user)?.value ?? '').trim();
    const person = field(values, FIELD.person)?.selected_user ?? undefined;
    const tasks = (field(values, FIELD.tasks)?.selected_options ?? [])
      .map((option) => option.value)
      .filter(isTask) as Task[];
    const reason = field(values, FIELD.reason)?.value?.trim() || undefined;
    const chosen = field(values, FIELD.account)?.selected_option?.value;
    const lengthText = (field(values, FIELD.duration)?.value ?? '').trim();
    const duration: number | 'permanent' | undefined =
      lengthText.toLowerCase() === 'permanent' ? 'permanent' : parseDuration(lengthText);
    const emergency = (field(values, FIELD.emergency)?.selected_options ?? []).some(
      (option) => option.value === 'emergency',
    );
    const channelId = parseMetadata(view.private_metadata)?.channelId;
    const requesterId = body.user.id;

    const errors: Record<string, string> = {};
    if (kind === 'grant' && lengthText && duration === undefined) errors[FIELD.duration] = COMPOSE_DURATION_ERROR;
    const linked = person ? await deps.directory.metaIdOf(person) : undefined;
    if (person && typedId) errors[FIELD.user] = 'Choose a person or enter an id, not both.';
    else if (person && !linked)
      errors[FIELD.person] = 'Nobody has linked this person to their Meta user yet: enter their Meta id instead.';
    else if (!person && !typedId) errors[FIELD.person] = 'Choose a person, or enter their Meta id below.';
    else if (!person && !isMetaId(typedId)) errors[FIELD.user] = 'Enter the Meta business-user id: digits only.';
    const userId = linked ?? typedId;
    // The rulebook, shown next to the fields the form has; who may ask and how long are answered after filing.
    const asked = kind === 'grant' && duration !== undefined ? { duration } : {};
    const draft = {
      kind,
      tasks,
      ...(reason ? { reason } : {}),
      ...asked,
      requesterId,
      channelId: channelId ?? requesterId,
    } as const;
    // Break-glass has rules of its own (who may use it is asked after the ack: user groups are a question to Slack).
    const rules = emergency
      ? await checkBreakGlass(deps.accounts, chosen, draft, { requester: false })
      : await checkDraft(deps.accounts, chosen, draft, { requester: false });
    if (rules.kind === 'problems') {
      for (const problem of rules.problems) {
        const error = formFieldError(problem);
        if (error && !(error.field in errors)) errors[error.field] = error.text;
      }
    }
    if (Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });
    // Filing reads Meta: the form counts against the same per-person limit as the commands, and stays open.
    const verdict = deps.commandLimit?.take(body.user.id);
    if (verdict && !verdict.ok) {
      const seconds = Math.max(1, Math.ceil(verdict.retryInMs / 1000));
      return ack({
        response_action: 'errors',
        errors: {
          [person ? FIELD.person : FIELD.user]:
            `You’ve sent ${verdict.limit} requests in the last minute; submit again in ${seconds} s. Nothing was sent.`,
        },
      });
    }
    await ack();
    try {
      const slackId = person ?? (await deps.directory.slackIdOf(userId));
      if (emergency) {
        const result = await deps.service.breakGlass({
          ...(chosen === undefined ? {} : { account: chosen }),
          userId,
          ...(slackId ? { targetSlackId: slackId } : {}),
          tasks,
          ...(reason ? { reason } : {}),
          ...asked,
          requesterId,
          channelId: channelId ?? requesterId,
        });
        await tellUser(client, requesterId, channelId, breakGlassReply(result));
        return;
      }
      const result = await deps.service.submit({
        kind,
        ...(chosen === undefined ? {} : { account: chosen }),
        userId,
        ...(slackId ? { targetSlackId: slackId } : {}),
        ...(kind === 'grant' ? { tasks } : {}),
        ...(reason ? { reason } : {}),
        ...asked,
        requesterId,
        channelId: channelId ?? requesterId,
      });
      await tellUser(client, requesterId, channelId, submitReply(result));
    } catch (error) {
      logger.warn('compose submission failed', error);
      await tellUser(client, requesterId, channelId, failureReply(error));
    }
  };
}

/** The deny form: the request id travels in private_metadata, and the stored request decides what happens. */
export function denySubmission(deps: ListenerDeps) {
  return async ({ ack, view, body, client }: ViewArgs): Promise<void> => {
    await ack();
    const reason = field(view.state.values, FIELD.reason)?.value?.trim() || undefined;
    const result = await deps.service.decide({
      requestId: view.private_metadata,
      actorId: body.user.id,
      decision: 'deny',
      ...(reason ? { reason } : {}),
    });
    const reply = clickReply(result);
    if (reply) await tellUser(client, body.user.id, undefined, replyBody(reply));
  };
}

/** Extend: the duration is checked before the ack; the extension request then goes to approval. */
export function extendSubmission(deps: ListenerDeps) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const text = (field(view.state.values, FIELD.duration)?.value ?? '').trim();
    const durationMs = parseDuration(text);
    if (durationMs === undefined) {
      return ack({ response_action: 'errors', errors: { [FIELD.duration]: DURATION_ERROR } });
    }
    await ack();
    const requesterId = body.user.id;
    try {
      const result = await deps.service.submitExtension({ grantId: view.private_metadata, durationMs, requesterId });
      await tellUser(client, requesterId, undefined, submitReply(result));
    } catch (error) {
      logger.warn('extension failed', error);
      await tellUser(client, requesterId, undefined, failureReply(error));
    }
  };
}
