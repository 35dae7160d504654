import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import { ACTION, COMMAND, VIEW } from '../ids.js';
import {
  approveButton,
  cancelButton,
  conflictButton,
  denyButton,
  extendButton,
  retryButton,
  revokeNowButton,
} from './actions.js';
import { admission } from './admission.js';
import { wabaCommand } from './command.js';
import type { ListenerDeps } from './deps.js';
import { driftButton, driftPageButton, driftTemporaryButton, driftTemporarySubmission } from './drift.js';
import { homeOpened } from './home.js';
import { listMoreButton, listRefreshButton } from './roster.js';
import { composeSubmission, denySubmission, extendSubmission } from './views.js';

export type { ListenerDeps } from './deps.js';

/** Maps Slack ids to handlers; nothing else. */
export function registerListeners(app: App, deps: ListenerDeps, isDraining: () => boolean = () => false): void {
  app.use(admission(isDraining));
  app.command(COMMAND, wabaCommand(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.approve, approveButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.deny, denyButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.retry, retryButton(deps));
  app.view<ViewSubmitAction>(VIEW.compose, composeSubmission(deps));
  app.view<ViewSubmitAction>(VIEW.deny, denySubmission(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.extend, extendButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.revokeNow, revokeNowButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.restore, conflictButton(deps, 'restore'));
  app.action<BlockAction<ButtonAction>>(ACTION.keep, conflictButton(deps, 'keep'));
  app.view<ViewSubmitAction>(VIEW.extend, extendSubmission(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.cancel, cancelButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.listMore, listMoreButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.listRefresh, listRefreshButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.driftAccept, driftButton(deps, 'accept'));
  app.action<BlockAction<ButtonAction>>(ACTION.driftRevert, driftButton(deps, 'revert'));
  app.action<BlockAction<ButtonAction>>(ACTION.driftTemporary, driftTemporaryButton(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.driftPage, driftPageButton(deps));
  app.view<ViewSubmitAction>(VIEW.driftTemporary, driftTemporarySubmission(deps));
  app.event('app_home_opened', homeOpened(deps));
}
