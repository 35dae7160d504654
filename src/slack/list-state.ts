import { z } from 'zod';
import { ACCOUNT_ALIAS } from '../access/accounts.js';
import type { PageCursor, RosterFilter } from '../access/roster-view.js';
import { taskSchema } from '../access/tasks.js';
import { META_ID } from '../graph/ids.js';
import { MAX_FILTER_LENGTH } from './commands.js';
import { SLACK_USER_ID } from './ids.js';

/** What a list's Show more and Refresh buttons carry: the account, the filter, and where the next page starts. */
export interface ListState {
  alias: string;
  filter?: RosterFilter;
  /** The Slack person a user filter was named by, to name them back. */
  person?: string;
  cursor?: PageCursor;
}

const ID = z.string().regex(META_ID);
/** Short keys: the value travels in every button, and Slack caps it at 2,000 characters. */
const wireSchema = z.object({
  a: z.string().regex(ACCOUNT_ALIAS),
  f: z
    .discriminatedUnion('k', [
      z.object({ k: z.literal('t'), v: taskSchema }),
      z.object({ k: z.literal('u'), v: ID }),
      z.object({ k: z.literal('x'), v: z.string().min(1).max(MAX_FILTER_LENGTH) }),
    ])
    .optional(),
  p: z.string().regex(SLACK_USER_ID).optional(),
  o: z.number().int().min(0).max(10_000_000).optional(),
  l: ID.optional(),
});

export function encodeListState(state: ListState): string {
  const { filter, cursor } = state;
  return JSON.stringify({
    a: state.alias,
    ...(filter
      ? {
          f:
            filter.kind === 'task'
              ? { k: 't', v: filter.task }
              : filter.kind === 'user'
                ? { k: 'u', v: filter.userId }
                : { k: 'x', v: filter.text },
        }
      : {}),
    ...(state.person ? { p: state.person } : {}),
    ...(cursor ? { o: cursor.offset, ...(cursor.afterId ? { l: cursor.afterId } : {}) } : {}),
  });
}

/** The state a button carries, or undefined when the value is not one we made (an old or forged button). */
export function decodeListState(value: string | undefined): ListState | undefined {
  let json: unknown;
  try {
    json = JSON.parse(value ?? '');
  } catch {
    return undefined;
  }
  const parsed = wireSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { a, f, p, o, l } = parsed.data;
  const filter: RosterFilter | undefined = !f
    ? undefined
    : f.k === 't'
      ? { kind: 'task', task: f.v }
      : f.k === 'u'
        ? { kind: 'user', userId: f.v }
        : { kind: 'text', text: f.v };
  return {
    alias: a,
    ...(filter ? { filter } : {}),
    ...(p ? { person: p } : {}),
    ...(o === undefined ? {} : { cursor: { offset: o, ...(l ? { afterId: l } : {}) } }),
  };
}
