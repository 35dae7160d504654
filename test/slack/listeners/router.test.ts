import type { AnyMiddlewareArgs } from '@slack/bolt';
import { describe, expect, it, vi } from 'vitest';
import { router } from '../../../src/slack/listeners/router.js';

const noop = async () => {};
const routes = (button: () => Promise<void>) => ({
  command: { name: '/waba', handler: vi.fn(noop) },
  buttons: { waba_go: vi.fn(button) },
  forms: { waba_form: vi.fn(noop) },
  homeOpened: vi.fn(noop),
});
const click = (actionId: string, respond?: (message: unknown) => Promise<unknown>) =>
  ({
    body: { type: 'block_actions' },
    action: { action_id: actionId, type: 'button' },
    ack: vi.fn(noop),
    ...(respond ? { respond } : {}),
    next: vi.fn(noop),
  }) as unknown as AnyMiddlewareArgs;

describe('the router', () => {
  it('hands a click to the handler its action_id names, and nothing for ids it does not know', async () => {
    const table = routes(noop);
    const route = router(table);
    await route(click('waba_go') as never);
    await route(click('toString') as never);
    await route(click('__proto__') as never);
    expect(table.buttons.waba_go).toHaveBeenCalledTimes(1);
    expect(table.command.handler).not.toHaveBeenCalled();
  });

  it('tells the clicker when a button’s handler fails, then lets the error go on to Bolt', async () => {
    const respond = vi.fn(async (_message: unknown) => ({}));
    const route = router(routes(async () => Promise.reject(new Error('store down'))));
    await expect(route(click('waba_go', respond) as never)).rejects.toThrow('store down');
    expect(JSON.stringify(respond.mock.calls[0]?.[0])).toContain('That click could not be finished');
    expect(respond.mock.calls[0]?.[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  });

  it('still lets the error go on when there is no response URL (a click on the Home tab)', async () => {
    const route = router(routes(async () => Promise.reject(new Error('store down'))));
    await expect(route(click('waba_go') as never)).rejects.toThrow('store down');
  });
});
