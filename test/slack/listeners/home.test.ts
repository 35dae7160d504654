import { describe, expect, it } from 'vitest';
import { homeOpened } from '../../../src/slack/listeners/home.js';
import { visibleText } from '../../support/message-text.js';
import { pendingRequest } from '../../support/requests.js';
import { APPROVER, argOf, homeArgs, kit } from './handler-args.js';

describe('the Home tab', () => {
  it('is drawn for the person who opened it, from their requests and recent decisions', async () => {
    const k = kit();
    k.service.personalViewsOf.mockResolvedValueOnce(
      new Map([
        [APPROVER, { requests: { mine: [], toDecide: [pendingRequest({ id: 'r7' })] }, recent: [], grants: [] }],
      ]),
    );
    await homeOpened(k.deps)(homeArgs(k, { userId: APPROVER }));
    expect(k.service.personalViewsOf).toHaveBeenCalledWith([APPROVER]);
    expect(k.calls.at(-1)).toBe('views.publish');
    const published = argOf<{ user_id: string; view: { type: string; blocks: unknown[] } }>(k.slack['views.publish']);
    expect(published).toMatchObject({ user_id: APPROVER, view: { type: 'home' } });
    expect(visibleText(published.view)).toContain('r7');
  });

  it('leaves the Messages tab alone', async () => {
    const k = kit();
    await homeOpened(k.deps)(homeArgs(k, { tab: 'messages' }));
    expect(k.calls).toEqual([]);
  });
});
