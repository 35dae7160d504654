import type { Task } from '../access/tasks.js';
import type { Mrkdwn } from './format.js';

/**
 * What `/waba` commands there are: the typed Command a text parses into (command-grammar.ts parses it), and the
 * usage line of each, which replies quote.
 */

/**
 * Who a command is about: a Meta business-user id, or a Slack person — mentioned (`<@U…>`, as Slack sends an
 * escaped mention) or named (`@alice`) — whose Meta id the directory knows.
 */
export type UserRef = { kind: 'meta'; id: string } | SlackPersonRef;
export type SlackPersonRef = { kind: 'slack'; slackId: string } | { kind: 'handle'; name: string };

/** Whom `/waba list` shows: those holding a task, one person, or those whose Meta name or id contains some text. */
export type ListFilter =
  | { kind: 'task'; task: Task }
  | { kind: 'person'; person: SlackPersonRef }
  | { kind: 'text'; text: string };

/** The longest text a list filter may be. */
export const MAX_FILTER_LENGTH = 100;

/**
 * What a `/waba …` text asks for. Parsing is pure and cheap, so listeners can answer in their ack. `account` is the
 * alias given with `on <alias>`; unset: the default account.
 */
export type Command =
  | { kind: 'compose' }
  | { kind: 'help' }
  | { kind: 'list'; account?: string; filter?: ListFilter }
  | { kind: 'accounts'; user: UserRef }
  /** `/waba accounts` alone: the configured accounts and their rules. */
  | { kind: 'account-list' }
  | {
      kind: 'grant';
      user: UserRef;
      tasks: Task[];
      reason?: string;
      duration?: number | 'permanent';
      account?: string;
      /** Break-glass: carried out at once without approval, by someone allowed to; reviewed afterwards. */
      emergency?: true;
    }
  | { kind: 'active'; account?: string }
  /** `/waba review`: starts an access review of the account, or points to the one open. */
  | { kind: 'review'; account?: string }
  | { kind: 'requests' }
  | { kind: 'revoke'; user: UserRef; reason?: string; account?: string }
  /** What a person held on an account, and when it changed. */
  | { kind: 'history'; user: UserRef; account?: string }
  /** Who had access to an account on a day. */
  | { kind: 'who'; date: DayRef; account?: string }
  | { kind: 'link'; person: SlackPersonRef; metaUserId: string }
  | { kind: 'unlink'; person: SlackPersonRef }
  /** Admins: the audit trail as a CSV file by DM; of one account, or (without `on`) of every one. */
  | { kind: 'audit'; account?: string; sinceMs?: number }
  /** What was wrong with the text, and what to type instead. */
  | { kind: 'invalid'; problem: Mrkdwn; hint: Mrkdwn };

/** A day as typed: a calendar date (`YYYY-MM-DD`, UTC), or so many days before today. */
export type DayRef = { kind: 'date'; day: string } | { kind: 'days-ago'; days: number };

export const USAGE = {
  grant: '/waba grant <@person|meta-user-id> <TASK>[,<TASK>…] [on <account>] [for <30m|4h|2d>] [because <reason>]',
  revoke: '/waba revoke <@person|meta-user-id> [on <account>] [because <reason>]',
  emergency:
    '/waba grant <@person|meta-user-id> <TASK>[,<TASK>…] [on <account>] [for <30m|1h>] emergency because <reason>',
  list: '/waba list [<TASK>|@person|<name or id>] [on <account>]',
  accounts: '/waba accounts [<@person|meta-user-id>]',
  status: '/waba status',
  active: '/waba active [on <account>]',
  review: '/waba review [on <account>]',
  history: '/waba history <@person|meta-user-id> [on <account>]',
  who: '/waba who <YYYY-MM-DD|today|yesterday> [on <account>]',
  link: '/waba link <@person> <meta-user-id>',
  unlink: '/waba unlink <@person>',
  requests: '/waba requests',
  audit: '/waba audit [on <account>] [since <30d>]',
  help: '/waba help',
} as const;
