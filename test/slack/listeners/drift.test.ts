import { describe, expect, it } from 'vitest';
import { rowValue } from '../../../src/slack/blocks/drift.js';
import { ACTION, FIELD, VIEW } from '../../../src/slack/ids.js';
import { driftTemporaryButton, driftTemporarySubmission } from '../../../src/slack/listeners/drift.js';
import { visibleText } from '../../support/message-text.js';
import {
  APPROVAL_CHANNEL,
  APPROVER,
  argOf,
  buttonArgs,
  callsWhileAnotherWaits,
  DRIFT_ROW,
  kit,
  OPENED,
  refusalText,
  viewArgs,
  viewOf,
} from './handler-args.js';

const REF = { digestId: 'd1-abc', index: 0 };
const VALUE = rowValue(REF);
const FORBIDDEN = { kind: 'forbidden', reason: 'not-approver', approverIds: ['UBOB'] };

describe('Make temporary on a drift row', () => {
  it('opens the form before anything reads the store, then fills in the change and the limit', async () => {
    const k = kit();
    await driftTemporaryButton(k.deps)(buttonArgs(k, { actionId: ACTION.driftTemporary, value: VALUE }));
    expect(k.calls).toEqual(['ack', 'views.open', 'drift.verdict', 'views.update']);
    expect(argOf(k.slack['views.open'])).toMatchObject({
      trigger_id: `trigger-${ACTION.driftTemporary}-${APPROVER}`,
      view: { callback_id: VIEW.driftTemporary },
    });
    expect(k.drift.verdict).toHaveBeenCalledWith(REF, APPROVER, 'temporary');
    const first = viewOf(k.slack['views.open']);
    expect(JSON.parse(String(first.private_metadata))).toEqual({ r: VALUE, c: APPROVAL_CHANNEL });
    expect(argOf(k.slack['views.update'])).toMatchObject({ view_id: OPENED.id, hash: OPENED.hash });
    const filled = viewOf(k.slack['views.update']);
    expect(filled.private_metadata).toBe(first.private_metadata);
    expect(visibleText(filled)).toContain(DRIFT_ROW.name);
    expect(visibleText(filled)).toContain('At most 30d');
    expect(filled.blocks.at(-1)).toEqual(first.blocks.at(-1));
  });

  it('turns the form into the reason for a clicker who may not act, with only Close', async () => {
    const k = kit();
    k.drift.verdict.mockResolvedValueOnce(FORBIDDEN);
    await driftTemporaryButton(k.deps)(
      buttonArgs(k, { actionId: ACTION.driftTemporary, value: VALUE, userId: 'USTRANGER' }),
    );
    expect(k.calls).toEqual(['ack', 'views.open', 'drift.verdict', 'views.update']);
    expect(refusalText(k)).toContain('Only the account’s approvers can act');
  });

  it('opens the form while other requests still wait for their acks, and reads the row once they are answered', async () => {
    const k = kit();
    const args = buttonArgs(k, { actionId: ACTION.driftTemporary, value: VALUE });
    expect(await callsWhileAnotherWaits(k, () => driftTemporaryButton(k.deps)(args))).toEqual(['ack', 'views.open']);
    expect(k.calls).toEqual(['ack', 'views.open', 'drift.verdict', 'views.update']);
  });
});

describe('the drift Make temporary form, sent', () => {
  it('shows a duration it cannot read beside the field, and acts on nothing', async () => {
    const k = kit();
    await driftTemporarySubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.driftTemporary,
        privateMetadata: JSON.stringify({ r: VALUE }),
        values: { [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value: 'a while' } } },
      }),
    );
    expect(k.calls).toEqual(['ack']);
    expect(argOf(k.ack)).toMatchObject({ response_action: 'errors', errors: { [FIELD.duration]: expect.any(String) } });
  });

  it('closes the form, then acts on the row for the time asked', async () => {
    const k = kit();
    await driftTemporarySubmission(k.deps)(
      viewArgs(k, {
        callbackId: VIEW.driftTemporary,
        privateMetadata: JSON.stringify({ r: VALUE, c: APPROVAL_CHANNEL }),
        values: { [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value: '2d' } } },
      }),
    );
    expect(k.calls).toEqual(['ack', 'drift.act']);
    // The form's metadata (the row and the channel) is handed on as it came; the service reads the row from it.
    expect(k.drift.act).toHaveBeenCalledWith({ ...REF, channelId: APPROVAL_CHANNEL }, APPROVER, 'temporary', {
      durationMs: 2 * 86_400_000,
      channelId: APPROVAL_CHANNEL,
    });
  });
});
