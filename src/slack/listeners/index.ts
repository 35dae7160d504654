import type { App } from '@slack/bolt';
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
import { type ButtonHandler, type FormHandler, router } from './router.js';
import { composeSubmission, denySubmission, extendSubmission } from './views.js';

export type { ListenerDeps } from './deps.js';

type ActionId = (typeof ACTION)[keyof typeof ACTION];
type CallbackId = (typeof VIEW)[keyof typeof VIEW];

/** Maps Slack ids to handlers; nothing else. The router (router.ts) hands each request to its handler. */
export function registerListeners(app: App, deps: ListenerDeps, isDraining: () => boolean = () => false): void {
  const buttons: Record<ActionId, ButtonHandler> = {
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
  const forms: Record<CallbackId, FormHandler> = {
    [VIEW.compose]: composeSubmission(deps),
    [VIEW.deny]: denySubmission(deps),
    [VIEW.extend]: extendSubmission(deps),
    [VIEW.reviewTemporary]: reviewTemporarySubmission(deps),
    [VIEW.driftTemporary]: driftTemporarySubmission(deps),
  };

  app.use(admission(isDraining));
  app.use(
    router({
      command: { name: COMMAND, handler: wabaCommand(deps) },
      buttons,
      forms,
      homeOpened: homeOpened(deps),
    }),
  );
}
