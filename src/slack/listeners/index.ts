import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { ACTION, COMMAND, VIEW } from '../ids.js';
import {
  approveButton,
  breakGlassReviewButton,
  cancelButton,
  conflictButton,
  denyButton,
  doneButton,
  extendButton,
  requestAgainButton,
  retryButton,
  revokeNowButton,
} from './actions.js';
import { admission } from './admission.js';
import { wabaCommand } from './command.js';
import type { ListenerDeps } from './deps.js';
import { driftButton, driftPageButton, driftTemporaryButton, driftTemporarySubmission } from './drift.js';
import { homeOpened } from './home.js';
import { reviewPageButton, reviewRowButton, reviewTemporaryButton, reviewTemporarySubmission } from './review.js';
import { listMoreButton, listRefreshButton } from './roster.js';
import { composeSubmission, denySubmission, extendSubmission } from './views.js';

export type { ListenerDeps } from './deps.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type ActionId = (typeof ACTION)[keyof typeof ACTION];
type CallbackId = (typeof VIEW)[keyof typeof VIEW];

/** Every id the app registers starts with this; Slack ids of other apps' or old messages do not reach the maps. */
const OURS = /^waba_/;

/**
 * Maps Slack ids to handlers; nothing else. One Bolt listener per kind of request, and a table per kind: Bolt runs
 * every registered listener's matchers on every request, so a listener per button would make each ack cost more as
 * buttons are added (about 5 µs each, measured). An id in no table is not acknowledged, and Slack gets a 404.
 */
export function registerListeners(app: App, deps: ListenerDeps, isDraining: () => boolean = () => false): void {
  const buttons: Record<ActionId, (args: ButtonArgs) => Promise<void>> = {
    [ACTION.approve]: approveButton(deps),
    [ACTION.deny]: denyButton(deps),
    [ACTION.retry]: retryButton(deps),
    [ACTION.extend]: extendButton(deps),
    [ACTION.revokeNow]: revokeNowButton(deps),
    [ACTION.restore]: conflictButton(deps, 'restore'),
    [ACTION.keep]: conflictButton(deps, 'keep'),
    [ACTION.cancel]: cancelButton(deps),
    [ACTION.done]: doneButton(deps),
    [ACTION.requestAgain]: requestAgainButton(deps),
    [ACTION.breakGlassLooksRight]: breakGlassReviewButton(deps, 'looks-right'),
    [ACTION.breakGlassRevoke]: breakGlassReviewButton(deps, 'revoked'),
    [ACTION.listMore]: listMoreButton(deps),
    [ACTION.listRefresh]: listRefreshButton(deps),
    [ACTION.reviewKeep]: reviewRowButton(deps, 'keep'),
    [ACTION.reviewRemove]: reviewRowButton(deps, 'remove'),
    [ACTION.reviewTemporary]: reviewTemporaryButton(deps),
    [ACTION.reviewPage]: reviewPageButton(deps),
    [ACTION.driftAccept]: driftButton(deps, 'accept'),
    [ACTION.driftRevert]: driftButton(deps, 'revert'),
    [ACTION.driftTemporary]: driftTemporaryButton(deps),
    [ACTION.driftPage]: driftPageButton(deps),
  };
  const forms: Record<CallbackId, (args: ViewArgs) => Promise<void>> = {
    [VIEW.compose]: composeSubmission(deps),
    [VIEW.deny]: denySubmission(deps),
    [VIEW.extend]: extendSubmission(deps),
    [VIEW.reviewTemporary]: reviewTemporarySubmission(deps),
    [VIEW.driftTemporary]: driftTemporarySubmission(deps),
  };

  app.use(admission(isDraining));
  app.command(COMMAND, wabaCommand(deps));
  app.action<BlockAction<ButtonAction>>({ action_id: OURS }, (args) => {
    const handler = lookup(buttons, args.action.action_id);
    return handler ? handler(args) : Promise.resolve();
  });
  app.view<ViewSubmitAction>({ callback_id: OURS }, (args) => {
    const handler = lookup(forms, args.view.callback_id);
    return handler ? handler(args) : Promise.resolve();
  });
  app.event('app_home_opened', homeOpened(deps));
}

/** The table's entry for an id Slack sent, or undefined: an own-property lookup, so `__proto__` finds nothing. */
function lookup<T>(table: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(table, id) ? table[id] : undefined;
}
