import type { AllMiddlewareArgs, AnyMiddlewareArgs } from '@slack/bolt';
import { describe, expect, it, vi } from 'vitest';
import { admission, BUSY_TEXT, RESTARTING_TEXT } from '../../../src/slack/listeners/admission.js';

type Args = AnyMiddlewareArgs & AllMiddlewareArgs;

/** Middleware arguments for a command, a click or a form submission, whose listener runs until `finish`. */
function args(kind: 'command' | 'click' | 'form', listener: Promise<void>) {
  const ack = vi.fn(async (_response?: unknown) => {});
  const respond = vi.fn(async (_message: unknown) => {});
  const next = vi.fn(() => listener);
  const base = { ack, respond, next };
  const shaped =
    kind === 'command'
      ? { ...base, command: { text: 'list' }, body: {} }
      : kind === 'click'
        ? { ...base, action: {}, body: { type: 'block_actions', response_url: 'https://hooks.example/r' } }
        : { ...base, view: {}, body: { type: 'view_submission' } };
  return { args: shaped as unknown as Args, ack, respond, next };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('admission', () => {
  it('turns away commands and clicks while too much is under way, lets forms through, and takes work again after', async () => {
    const admit = admission(() => false, 2);
    const work = gate();
    const first = args('command', work.opened);
    const second = args('click', work.opened);
    const running = [admit(first.args), admit(second.args)];
    expect(first.next).toHaveBeenCalled();

    const third = args('command', Promise.resolve());
    await admit(third.args);
    expect(third.next).not.toHaveBeenCalled();
    expect(third.ack).toHaveBeenCalledWith({ response_type: 'ephemeral', text: BUSY_TEXT });
    const click = args('click', Promise.resolve());
    await admit(click.args);
    expect(click.next).not.toHaveBeenCalled();
    expect(click.ack).toHaveBeenCalledWith();
    expect(click.respond).toHaveBeenCalledWith(expect.objectContaining({ text: BUSY_TEXT, replace_original: false }));
    const form = args('form', Promise.resolve());
    await admit(form.args);
    expect(form.next).toHaveBeenCalled();

    work.open();
    await Promise.all(running);
    const later = args('command', Promise.resolve());
    await admit(later.args);
    expect(later.next).toHaveBeenCalled();
  });

  it('does not count events (the Home tab opened) against the place kept for commands and clicks', async () => {
    const admit = admission(() => false, 1);
    const work = gate();
    const event = {
      ack: vi.fn(),
      event: { type: 'app_home_opened' },
      body: { type: 'event_callback' },
      next: vi.fn(() => work.opened),
    };
    const opening = admit(event as unknown as Args);
    const command = args('command', Promise.resolve());
    await admit(command.args);
    expect(command.next).toHaveBeenCalled();
    work.open();
    await opening;
  });

  it('counts a listener that failed as finished', async () => {
    const admit = admission(() => false, 1);
    await expect(admit(args('command', Promise.reject(new Error('listener broke'))).args)).rejects.toThrow();
    const next = args('command', Promise.resolve());
    await admit(next.args);
    expect(next.next).toHaveBeenCalled();
  });

  it('starts nothing while the bot shuts down, forms included', async () => {
    const admit = admission(() => true);
    const form = args('form', Promise.resolve());
    await admit(form.args);
    expect(form.next).not.toHaveBeenCalled();
    expect(JSON.stringify(form.ack.mock.calls[0]?.[0])).toContain(RESTARTING_TEXT.slice(0, 40));
  });
});
