import type {
  AllMiddlewareArgs,
  AnyMiddlewareArgs,
  Middleware,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';

import { answerClick, type ButtonArgs, clickFailedReply, type ViewArgs } from './replies.js';

export type CommandHandler = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;
export type ButtonHandler = (args: ButtonArgs) => Promise<void>;
export type FormHandler = (args: ViewArgs) => Promise<void>;
export type HomeHandler = (args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs) => Promise<void>;

/** Every handler the app has, by the ids Slack sends. */
export interface Routes {
  /** The slash command's name (`/waba`) and its handler. */
  command: { name: string; handler: CommandHandler };
  /** Buttons by `action_id`. */
  buttons: Readonly<Record<string, ButtonHandler>>;
  /** Form submissions by the view's `callback_id`. */
  forms: Readonly<Record<string, FormHandler>>;
  homeOpened: HomeHandler;
}

/**
 * The last of the app's middleware: hands each request to its handler by kind and id, with the arguments Bolt
 * gives a listener (Bolt passes middleware the same ones). Bolt's own listeners would run every registered
 * listener's matchers on every request, which cost an ack about 5 µs per listener (measured); a table lookup costs
 * the same however many buttons there are. A request no table knows is not acknowledged, and Slack gets a 404.
 */
export function router(routes: Routes): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    if ('command' in args) {
      if (args.command.command === routes.command.name) await routes.command.handler(args);
      return;
    }
    if ('action' in args) {
      if (args.body.type !== 'block_actions') return;
      const action = args.action as { action_id?: unknown };
      const handler = typeof action.action_id === 'string' ? lookup(routes.buttons, action.action_id) : undefined;
      if (!handler) return;
      try {
        await handler(args as ButtonArgs);
      } catch (error) {
        // The clicker hears of it (Bolt only logs it); then Bolt's error handling goes on as for any listener.
        await answerClick(args as ButtonArgs, clickFailedReply(error)).catch(() => undefined);
        throw error;
      }
      return;
    }
    if ('view' in args) {
      if (args.body.type !== 'view_submission') return;
      const handler = lookup(routes.forms, args.view.callback_id);
      if (handler) await handler(args as ViewArgs);
      return;
    }
    if ('event' in args && args.event.type === 'app_home_opened') {
      await routes.homeOpened(args as SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs);
    }
  };
}

/** The table's entry for an id Slack sent, or undefined: an own-property lookup, so `__proto__` finds nothing. */
function lookup<T>(table: Readonly<Record<string, T>>, id: string): T | undefined {
  return Object.hasOwn(table, id) ? table[id] : undefined;
}
