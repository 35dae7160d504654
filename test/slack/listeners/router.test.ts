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
const click = (actionId: string, respond?: (message: unknown) => Promise<unknown>) => {
  const postMessage = vi.fn(async (_message: unknown) => ({ ok: true }));
  const args = {
    body: {
      type: 'block_actions',
      user: { id: 'UANN' },
      ...(respond ? { response_url: 'https://hooks.slack.com/actions/T/1/x' } : {}),
    },
    action: { action_id: actionId, type: 'button' },
    ack: vi.fn(noop),
    ...(respond ? { respond } : {}),
    client: { chat: { postMessage } },
    next: vi.fn(noop),
  } as unknown as AnyMiddlewareArgs;
  return Object.assign(args, { postMessage });
};

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

  it('tells the clicker by DM when there is no response URL (a click on the Home tab), and lets the error go on', async () => {
    const route = router(routes(async () => Promise.reject(new Error('store down'))));
    const args = click('waba_go');
    await expect(route(args as never)).rejects.toThrow('store down');
    expect(args.postMessage).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(args.postMessage.mock.calls[0]?.[0])).toContain('That click could not be finished');
    expect(args.postMessage.mock.calls[0]?.[0]).toMatchObject({ channel: 'UANN' });
  });
});
