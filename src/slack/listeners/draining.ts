import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { section } from '../blocks/kit.js';
import { plain } from '../format.js';

export const RESTARTING_TEXT =
  'waba-access is restarting and is not taking requests for a moment. Nothing was changed; please try again in a minute.';

/**
 * While the bot shuts down, new commands, clicks and form submissions are answered at once with a polite refusal,
 * so nothing new starts while work under way finishes.
 */
export function refuseWhileDraining(isDraining: () => boolean): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    if (!isDraining()) return args.next();
    if ('command' in args) {
      await args.ack({ response_type: 'ephemeral', text: RESTARTING_TEXT });
      return;
    }
    if ('view' in args && args.body.type === 'view_submission') {
      await args.ack({
        response_action: 'update',
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'Please try again' },
          close: { type: 'plain_text', text: 'Close' },
          blocks: [section(plain(RESTARTING_TEXT))],
        },
      });
      return;
    }
    if ('action' in args && args.body.type === 'block_actions') {
      await args.ack();
      if (args.body.response_url) {
        await args.respond({ response_type: 'ephemeral', replace_original: false, text: RESTARTING_TEXT });
      }
      return;
    }
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  };
}
