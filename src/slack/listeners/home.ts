import type { AllMiddlewareArgs, SlackEventMiddlewareArgs, webApi } from '@slack/bolt';
import { homeView, requestsMessage } from '../blocks/home.js';
import type { ListenerDeps } from './deps.js';

/** The App Home tab, drawn when a person opens it. */
export function homeOpened(deps: ListenerDeps) {
  return async ({ event, client }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    await publishHome(deps, client, event.user);
  };
}

/** Draws a person's Home tab: what waits for them, their requests and temporary access, recent activity. */
export async function publishHome(deps: ListenerDeps, client: webApi.WebClient, userId: string): Promise<void> {
  await (await homePublisher(deps, client, [userId]))(userId);
}

/**
 * Prepares to draw several people's Home tabs: what they share (open and recent requests, live grants) is read once
 * for all of them. The function returned publishes one person's Home.
 */
export async function homePublisher(
  deps: ListenerDeps,
  client: webApi.WebClient,
  userIds: string[],
): Promise<(userId: string) => Promise<void>> {
  const views = await deps.service.personalViewsOf(userIds);
  return async (userId) => {
    const view = views.get(userId);
    if (!view) return;
    await client.views.publish({ user_id: userId, view: homeView(view.requests, view.recent, view.grants) });
  };
}

interface ClickOrigin {
  body: { user: { id: string }; view?: { type?: string }; container?: { is_ephemeral?: boolean } };
  client: webApi.WebClient;
  respond: (message: object) => Promise<unknown>;
}

/**
 * After a click on a personal list — the Home tab, or the ephemeral `/waba requests` reply (approval messages are
 * never ephemeral) — draws the list again, so what was just handled leaves it.
 */
export async function refreshPersonalList(deps: ListenerDeps, args: ClickOrigin): Promise<void> {
  const userId = args.body.user.id;
  if (args.body.view?.type === 'home') return publishHome(deps, args.client, userId);
  if (args.body.container?.is_ephemeral) {
    await args.respond({ replace_original: true, ...requestsMessage(await deps.service.requestsOf(userId)) });
  }
}
