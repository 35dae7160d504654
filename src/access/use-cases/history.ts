import type { Account } from '../accounts.js';
import type { SeenUser } from '../drift.js';
import { addDays, type DayAnswer, dayOf, recordFor, type ShownEvent, shownEvents } from '../history.js';
import { approvalsOf } from '../request.js';
import type { Task } from '../tasks.js';
import type { DriftContext } from './drift-context.js';

/** The most changes a history shows (the latest ones). */
const MAX_EVENTS = 60;

/** Who asked for a change the bot made, and who approved it. */
export interface RequestPeople {
  requesterId: string;
  approverIds: string[];
}

/** What one person held on one account, and every change recorded within the history window. */
export interface PersonHistory {
  alias: string;
  userId: string;
  name?: string;
  /** What the first kept day's last read saw them hold, and that day. */
  start?: { day: string; tasks: Task[] | null };
  /** What the latest read saw, and when it was read. */
  now?: { tasks: Task[] | null; readAt: string };
  /** The latest changes, oldest first. */
  events: ShownEvent[];
  /** Changes recorded in the window beyond those shown. */
  earlier: number;
  /** The requests behind the bot's writes, by id. */
  requests: Map<string, RequestPeople>;
  firstDay: string | null;
  keepDays: number;
}

/**
 * A person's history on one account, from the kept rosters (where they started and where they are) and their
 * history log (each write of the bot's with the request behind it, each change found outside it, each action taken).
 */
export async function historyOf(ctx: DriftContext, account: Account, userId: string): Promise<PersonHistory> {
  const { store, repository, historyDays } = ctx.deps;
  const wabaId = account.policy.wabaId;
  const today = dayOf(ctx.clock.now());
  const from = addDays(today, -(historyDays - 1));
  const days = (await store.days(wabaId)).filter((record) => record.day >= from);
  const first = days[0];
  const firstRoster = first ? await store.roster(wabaId, first.end) : undefined;
  const snapshot = await store.snapshot(wabaId);
  const latest = snapshot ? await store.roster(wabaId, snapshot.ref) : undefined;
  const all = shownEvents(await store.personEvents(wabaId, userId), from);
  const events = all.slice(-MAX_EVENTS);
  const requests = new Map<string, RequestPeople>();
  for (const event of events) {
    const id = event.kind === 'write' ? event.cause?.match(/^request:(.+)$/)?.[1] : undefined;
    if (!id || requests.has(id)) continue;
    const request = await repository.get(id);
    if (request)
      requests.set(id, {
        requesterId: request.requesterId,
        approverIds: approvalsOf(request).map((approval) => approval.by),
      });
  }
  const name = find(latest, userId)?.name ?? find(firstRoster, userId)?.name;
  return {
    alias: account.policy.alias,
    userId,
    ...(name ? { name } : {}),
    ...(first && firstRoster ? { start: { day: first.day, tasks: find(firstRoster, userId)?.tasks ?? null } } : {}),
    ...(snapshot && latest ? { now: { tasks: find(latest, userId)?.tasks ?? null, readAt: snapshot.readAt } } : {}),
    events,
    earlier: all.length - events.length,
    requests,
    firstDay: first?.day ?? null,
    keepDays: historyDays,
  };
}

function find(roster: readonly SeenUser[] | undefined, userId: string): SeenUser | undefined {
  return roster?.find((user) => user.id === userId);
}

/** Who had access on one day of one account. */
export type WhoResult =
  | (Extract<DayAnswer, { kind: 'day' }> & {
      alias: string;
      day: string;
      /** Everyone who held access at some moment of the day, with every task they held. */
      held: SeenUser[];
      /** Those of them who no longer held it at the day's last read. */
      goneBy: Set<string>;
    })
  | (Exclude<DayAnswer, { kind: 'day' }> & { alias: string; day: string });

/** Who had access on `day` (UTC, `YYYY-MM-DD`), from the kept rosters. */
export async function whoOn(ctx: DriftContext, account: Account, day: string): Promise<WhoResult> {
  const { store, historyDays } = ctx.deps;
  const wabaId = account.policy.wabaId;
  const alias = account.policy.alias;
  const answer = recordFor(await store.days(wabaId), day, dayOf(ctx.clock.now()), historyDays);
  if (answer.kind !== 'day') return { ...answer, alias, day };
  const end = (await store.roster(wabaId, answer.record.end)) ?? [];
  // A day without a read of its own: the last earlier read stands for all of it.
  const held = answer.carried ? end : ((await store.roster(wabaId, answer.record.held)) ?? end);
  const atEnd = new Set(end.map((user) => user.id));
  return { ...answer, alias, day, held, goneBy: new Set(held.map((user) => user.id).filter((id) => !atEnd.has(id))) };
}
