/** Every Slack identifier the app registers, in one place. */
export const COMMAND = '/waba';

export const ACTION = {
  approve: 'waba_approve',
  deny: 'waba_deny',
  retry: 'waba_retry',
  extend: 'waba_extend',
  revokeNow: 'waba_revoke_now',
  restore: 'waba_conflict_restore',
  keep: 'waba_conflict_keep',
  cancel: 'waba_cancel',
  /** "I'm done": the person who asked for a temporary grant, or holds it, gives it back now. */
  done: 'waba_done',
  /** Opens the request form filled in as a finished request was. */
  requestAgain: 'waba_request_again',
  /** An approver's review of a break-glass use. */
  breakGlassLooksRight: 'waba_break_glass_looks_right',
  breakGlassRevoke: 'waba_break_glass_revoke',
  /** The next page of a `/waba list`, from the same read. */
  listMore: 'waba_list_more',
  /** A `/waba list` read afresh from Meta. */
  listRefresh: 'waba_list_refresh',
  /** An access review's choices for one row, and its page buttons. */
  reviewKeep: 'waba_review_keep',
  reviewRemove: 'waba_review_remove',
  reviewTemporary: 'waba_review_temporary',
  reviewPage: 'waba_review_page',
  /** A drift digest's row: keep the change, put back what the bot expected, or keep it for a while. */
  driftAccept: 'waba_drift_accept',
  driftRevert: 'waba_drift_revert',
  driftTemporary: 'waba_drift_temporary',
  /** Another page of a drift digest. */
  driftPage: 'waba_drift_page',
} as const;

export const VIEW = {
  compose: 'waba_compose',
  deny: 'waba_deny_reason',
  extend: 'waba_extend_duration',
  /** How long a reviewed person keeps their access before removal. */
  reviewTemporary: 'waba_review_until',
  driftTemporary: 'waba_drift_temporary_until',
} as const;

/** Block and element ids inside the modals. */
export const FIELD = {
  account: 'account',
  kind: 'kind',
  person: 'person',
  user: 'user',
  tasks: 'tasks',
  reason: 'reason',
  duration: 'duration',
  until: 'until',
  emergency: 'emergency',
} as const;

/**
 * A Slack person's id (`U…`, or `W…` on Enterprise Grid): the one pattern the bot checks one against, wherever it
 * comes from (a button's value, a change to publish Home tabs for, a mention to draw).
 */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{1,40}$/;
