import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { modal, section } from '../blocks/kit.js';
import { plain } from '../format.js';

export const RESTARTING_TEXT =
  'waba-access is restarting and is not taking requests for a moment. Nothing was changed; please try again in a minute.';

export const BUSY_TEXT =
  'waba-access has more requests under way than it takes at once, so it did not start this one. Nothing was changed; please try again in a minute.';

/**
 * How many commands and clicks may be under way (acknowledged, their work not finished) at once. Acks are fast and
 * the work after them is not: without a bound, a sustained burst queues work faster than it is done, each piece
 * holding its request (about 20 KB), until the 96 MB heap runs out — 3,300 pieces did. 1,500 is about 30 MB beside
 * the bot's own 30–40 MB, and still takes 1,000 approvals clicked at once (the benchmark's throughput run).
 */
export const MAX_UNDER_WAY = 1_500;

/**
 * Decides whether a command, click or form starts at all. While the bot shuts down, nothing new starts; while too
 * much is under way, new commands and clicks are turned away (form submissions still go through, so what was typed
 * is not lost). Either way the person is answered at once, politely, and nothing changes.
 */
export function admission(isDraining: () => boolean, maxUnderWay = MAX_UNDER_WAY): Middleware<AnyMiddlewareArgs> {
  let underWay = 0;
  return async (args) => {
    const isForm = 'view' in args && args.body.type === 'view_submission';
    const refusal = isDraining() ? RESTARTING_TEXT : underWay >= maxUnderWay && !isForm ? BUSY_TEXT : undefined;
    if (refusal) return refuse(args, refusal);
    // Events (the Home tab opened) are not people's commands or clicks: they do not take a place meant for those.
    if (!('command' in args) && !('action' in args) && !isForm) return args.next();
    underWay++;
    try {
      await args.next();
    } finally {
      underWay--;
    }
  };
}

async function refuse(args: AnyMiddlewareArgs & { next: () => Promise<void> }, text: string): Promise<void> {
  if ('command' in args) {
    await args.ack({ response_type: 'ephemeral', text });
    return;
  }
  if ('view' in args && args.body.type === 'view_submission') {
    await args.ack({
      response_action: 'update',
      view: modal({ title: 'Please try again', close: 'Close', blocks: [section(plain(text))] }),
    });
    return;
  }
  if ('action' in args && args.body.type === 'block_actions') {
    await args.ack();
    if (args.body.response_url) {
      await args.respond({ response_type: 'ephemeral', replace_original: false, text });
    }
    return;
  }
  if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
}
