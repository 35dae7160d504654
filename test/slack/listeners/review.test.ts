import { describe, expect, it } from 'vitest';
import { ACTION, FIELD, VIEW } from '../../../src/slack/ids.js';
import {
  reviewPageButton,
  reviewTemporaryButton,
  reviewTemporarySubmission,
} from '../../../src/slack/listeners/review.js';
import { encodeRowRef } from '../../../src/slack/review-state.js';
import { visibleText } from '../../support/message-text.js';
import {
  APPROVER,
  argOf,
  buttonArgs,
  callsWhileAnotherWaits,
  kit,
  OPENED,
  REVIEW_ROW,
  refusalText,
  viewArgs,
  viewOf,
} from './handler-args.js';

const REF = { reviewId: 'rv1', page: 0, index: 3, userId: REVIEW_ROW.userId };
const VALUE = encodeRowRef(REF);
const FORBIDDEN = { kind: 'forbidden', reason: 'not-approver', approverIds: ['UBOB'] };

/** The Make temporary form as sent, with `until` typed in its field. */
function submission(k: ReturnType<typeof kit>, until: string, privateMetadata = VALUE) {
  return viewArgs(k, {
    callbackId: VIEW.reviewTemporary,
    privateMetadata,
    values: { [FIELD.until]: { [FIELD.until]: { type: 'plain_text_input', value: until } } },
  });
}

describe('Make temporary on a review row', () => {
  it('opens the form before anything reads the store, then names the person and the limits', async () => {
    const k = kit();
    await reviewTemporaryButton(k.deps)(buttonArgs(k, { actionId: ACTION.reviewTemporary, value: VALUE }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.reviews.temporaryCheck', 'views.update']);
    expect(argOf(k.slack['views.open'])).toMatchObject({
      trigger_id: `trigger-${ACTION.reviewTemporary}-${APPROVER}`,
      view: { callback_id: VIEW.reviewTemporary, private_metadata: VALUE },
    });
    expect(k.reviews.temporaryCheck).toHaveBeenCalledWith(REF, APPROVER);
    const first = viewOf(k.slack['views.open']);
    expect(visibleText(first)).not.toContain(REVIEW_ROW.name);
    expect(argOf(k.slack['views.update'])).toMatchObject({ view_id: OPENED.id, hash: OPENED.hash });
    const filled = viewOf(k.slack['views.update']);
    expect(filled).toMatchObject({ callback_id: VIEW.reviewTemporary, private_metadata: VALUE });
    expect(visibleText(filled)).toContain(REVIEW_ROW.name);
    expect(visibleText(filled)).toContain('Between 1h and 30d from now');
    // The same input, so what the approver already typed stays.
    expect(filled.blocks.at(-1)).toEqual(first.blocks.at(-1));
  });

  it('opens the form even when the store fails, then turns it into what happened, with only Close', async () => {
    const k = kit();
    k.reviews.temporaryCheck.mockRejectedValueOnce(new Error('SQLITE_BUSY: database is locked'));
    await reviewTemporaryButton(k.deps)(buttonArgs(k, { actionId: ACTION.reviewTemporary, value: VALUE }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.reviews.temporaryCheck', 'views.update']);
    expect(refusalText(k)).toContain('Something went wrong on my side; nothing changed');
  });

  it('turns the form into the reason for a clicker who may not decide the row', async () => {
    const k = kit();
    k.reviews.temporaryCheck.mockResolvedValueOnce(FORBIDDEN);
    await reviewTemporaryButton(k.deps)(
      buttonArgs(k, { actionId: ACTION.reviewTemporary, value: VALUE, userId: 'USTRANGER' }),
    );
    expect(k.calls).toEqual(['ack', 'views.open', 'service.reviews.temporaryCheck', 'views.update']);
    expect(refusalText(k)).toContain('Only the account’s approvers review access');
    expect(k.respond).not.toHaveBeenCalled();
  });

  it('opens the form while other requests still wait for their acks, and reads the row once they are answered', async () => {
    const k = kit();
    const args = buttonArgs(k, { actionId: ACTION.reviewTemporary, value: VALUE });
    expect(await callsWhileAnotherWaits(k, () => reviewTemporaryButton(k.deps)(args))).toEqual(['ack', 'views.open']);
    expect(k.calls).toEqual(['ack', 'views.open', 'service.reviews.temporaryCheck', 'views.update']);
  });

  it('says privately what happened when Slack will not open the form', async () => {
    const k = kit();
    k.slack['views.open'].mockRejectedValueOnce(new Error('An API error occurred: expired_trigger_id'));
    await reviewTemporaryButton(k.deps)(buttonArgs(k, { actionId: ACTION.reviewTemporary, value: VALUE }));
    expect(k.calls).toEqual(['ack', 'views.open', 'service.reviews.temporaryCheck', 'respond']);
    expect(visibleText(argOf(k.respond) as { text: string })).toContain('Click the button again');
  });

  it('answers a button that names no row without opening anything or reading the store', async () => {
    const k = kit();
    await reviewTemporaryButton(k.deps)(buttonArgs(k, { actionId: ACTION.reviewTemporary, value: 'not-a-row' }));
    expect(k.calls).toEqual(['ack', 'respond']);
  });
});

describe('the Make temporary form, sent', () => {
  it('shows a time it cannot read beside the field, before reading the store', async () => {
    const k = kit();
    await reviewTemporarySubmission(k.deps)(submission(k, 'next tuesday'));
    expect(k.calls).toEqual(['ack']);
    expect(argOf(k.ack)).toMatchObject({ response_action: 'errors', errors: { [FIELD.until]: expect.any(String) } });
  });

  it('checks the row at submit and shows a time past the account’s limit beside the field', async () => {
    const k = kit();
    await reviewTemporarySubmission(k.deps)(submission(k, '60d'));
    expect(k.calls).toEqual(['service.reviews.temporaryCheck', 'ack']);
    expect(argOf(k.ack)).toMatchObject({
      response_action: 'errors',
      errors: { [FIELD.until]: 'That is longer than this account allows (30d at most).' },
    });
    expect(k.reviews.decide).not.toHaveBeenCalled();
  });

  it('shows a store failure at submit beside the field, and the form stays open', async () => {
    const k = kit();
    k.reviews.temporaryCheck.mockRejectedValueOnce(new Error('SQLITE_BUSY: database is locked'));
    await reviewTemporarySubmission(k.deps)(submission(k, '2d'));
    expect(k.calls).toEqual(['service.reviews.temporaryCheck', 'ack']);
    expect(argOf(k.ack)).toMatchObject({
      response_action: 'errors',
      errors: { [FIELD.until]: expect.stringContaining('Submit again in a minute') },
    });
  });

  it('closes the form, then decides the row for the time asked', async () => {
    const k = kit();
    await reviewTemporarySubmission(k.deps)(submission(k, '2d'));
    expect(k.calls).toEqual(['service.reviews.temporaryCheck', 'ack', 'service.reviews.decide']);
    expect(argOf(k.ack)).toBeUndefined();
    expect(k.reviews.decide).toHaveBeenCalledWith({
      ref: REF,
      actorId: APPROVER,
      choice: 'temporary',
      durationMs: 2 * 86_400_000,
    });
  });
});

describe('Next page on a review', () => {
  it('shows the page asked for in place, and lets a failure reach the router, which tells the clicker', async () => {
    const k = kit();
    await reviewPageButton(k.deps)(buttonArgs(k, { actionId: ACTION.reviewPage, value: 'rv1:2' }));
    expect(k.calls).toEqual(['ack', 'service.reviews.showPage']);
    expect(argOf(k.reviews.showPage)).toMatchObject({ reviewId: 'rv1', page: 2 });

    const failing = kit();
    failing.reviews.showPage.mockRejectedValueOnce(new Error('chat.update failed'));
    await expect(
      reviewPageButton(failing.deps)(buttonArgs(failing, { actionId: ACTION.reviewPage, value: 'rv1:2' })),
    ).rejects.toThrow('chat.update failed');
    expect(failing.calls[0]).toBe('ack');
  });
});
