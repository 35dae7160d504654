import type { z } from 'zod';
import { GraphError, GraphInputError } from './errors.js';
import { isMetaId } from './ids.js';
import {
  type AssignedAccount,
  type AssignedUser,
  assignedAccountsPageSchema,
  assignedUsersPageSchema,
  successSchema,
} from './schemas.js';
import { isTask, MAX_TASKS_PER_CALL, normalizeTasks, TASKS, type Task } from './tasks.js';
import { type CallSpec, type GraphClientOptions, GraphTransport } from './transport.js';
import type { BudgetState } from './usage.js';

export interface AssignedUsersQuery {
  wabaId: string;
  businessId: string;
  /** Page size, 1–100. */
  limit?: number;
  fields?: readonly string[];
}

export interface AssignedUsersPage {
  users: AssignedUser[];
  /** `summary.total_count`, when Graph sends it. */
  totalCount?: number;
}

export interface AssignedAccountsQuery {
  userId: string;
  limit?: number;
  fields?: readonly string[];
}

export const MAX_PAGE_SIZE = 100;
/** `tasks` is not in Meta's reference, but real responses carry it and the roster needs it. */
export const ASSIGNED_USER_FIELDS = ['id', 'name', 'user_type', 'business', 'tasks'] as const;
export const ASSIGNED_ACCOUNT_FIELDS = ['id', 'name', 'status', 'business_id', 'permissions'] as const;

/**
 * Graph API client for WABA user assignments: typed, validated, retried within bounds, budget-aware. The edges and
 * their inputs live here; how a call is sent, held and retried, in transport.ts.
 */
export class GraphClient {
  private readonly transport: GraphTransport;

  constructor(options: GraphClientOptions) {
    this.transport = new GraphTransport(options);
  }

  /** Calls sent to Graph, retries included. */
  get callCount(): number {
    return this.transport.callCount;
  }

  /** Every page of the users assigned to a WABA, following Graph's cursors until there is no `next`. */
  async *assignedUsers(query: AssignedUsersQuery): AsyncGenerator<AssignedUsersPage> {
    requireId('WABA id', query.wabaId);
    requireId('business id', query.businessId);
    const params = new URLSearchParams({
      business: query.businessId,
      fields: (query.fields ?? ASSIGNED_USER_FIELDS).join(','),
      limit: String(pageSize(query.limit)),
    });
    const path = `${query.wabaId}/assigned_users`;
    for await (const page of this.pages(path, params, query.wabaId, assignedUsersPageSchema)) {
      yield { users: page.data, totalCount: page.summary?.total_count };
    }
  }

  /** The whole roster of a WABA in one array. */
  async listAssignedUsers(query: AssignedUsersQuery): Promise<AssignedUsersPage> {
    const users: AssignedUser[] = [];
    let totalCount: number | undefined;
    for await (const page of this.assignedUsers(query)) {
      users.push(...page.users);
      totalCount ??= page.totalCount;
    }
    return { users, totalCount };
  }

  /** Gives `userId` exactly `tasks` on the WABA (Graph replaces the user's task set). */
  async assignUser(input: { wabaId: string; userId: string; tasks: readonly string[] }): Promise<void> {
    requireId('WABA id', input.wabaId);
    requireId('user id', input.userId);
    const tasks = requireTasks(input.tasks);
    const form = new URLSearchParams({ user: input.userId, tasks: JSON.stringify(tasks) });
    await this.confirm({ method: 'POST', path: `${input.wabaId}/assigned_users`, form, scope: input.wabaId });
  }

  /** Removes `userId` from the WABA, with every task they held. */
  async removeUser(input: { wabaId: string; userId: string }): Promise<void> {
    requireId('WABA id', input.wabaId);
    requireId('user id', input.userId);
    // Meta's SDKs send DELETE parameters in the query string; Graph accepts both.
    const query = new URLSearchParams({ user: input.userId });
    await this.confirm({ method: 'DELETE', path: `${input.wabaId}/assigned_users`, query, scope: input.wabaId });
  }

  /** Every page of the WABAs assigned to a user. */
  async *assignedAccounts(query: AssignedAccountsQuery): AsyncGenerator<AssignedAccount[]> {
    requireId('user id', query.userId);
    const params = new URLSearchParams({
      fields: (query.fields ?? ASSIGNED_ACCOUNT_FIELDS).join(','),
      limit: String(pageSize(query.limit)),
    });
    const path = `${query.userId}/assigned_whatsapp_business_accounts`;
    for await (const page of this.pages(path, params, query.userId, assignedAccountsPageSchema)) yield page.data;
  }

  async listAssignedAccounts(query: AssignedAccountsQuery): Promise<AssignedAccount[]> {
    const accounts: AssignedAccount[] = [];
    for await (const page of this.assignedAccounts(query)) accounts.push(...page);
    return accounts;
  }

  /**
   * Meta's last usage readings for calls about `scope` (a WABA id) and for the app, and until when new calls about it
   * are held. Kept in memory by this process only.
   */
  budget(scope: string): BudgetState {
    return this.transport.budget(scope);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private async *pages<S extends z.ZodType<{ paging?: { next?: string; cursors?: { after?: string } } }>>(
    path: string,
    firstQuery: URLSearchParams,
    scope: string,
    schema: S,
  ): AsyncGenerator<z.infer<S>> {
    let query: URLSearchParams | undefined = firstQuery;
    while (query) {
      const page: z.infer<S> = await this.transport.call({ method: 'GET', path, query, scope }, schema);
      yield page;
      query = nextPageQuery(page.paging, query);
    }
  }

  private async confirm(spec: CallSpec): Promise<void> {
    const body = await this.transport.call(spec, successSchema);
    if (!body.success) {
      throw new GraphError({ message: 'Graph did not confirm the change (success: false).', category: 'unknown' });
    }
  }
}

/**
 * The next page's query, or undefined on the last page. Parameters come from `paging.next`, but the call goes to our
 * own base URL and path: `next` may embed an `access_token`, which must never travel in a URL, and we do not send our
 * token to whatever host a response names.
 */
export function nextPageQuery(
  paging: { next?: string; cursors?: { after?: string } } | undefined,
  previous: URLSearchParams,
): URLSearchParams | undefined {
  if (!paging?.next) return undefined;
  const query = new URLSearchParams(previous);
  let fromNext: URLSearchParams | undefined;
  try {
    fromNext = new URL(paging.next).searchParams;
  } catch {
    fromNext = undefined;
  }
  const after = fromNext?.get('after') ?? paging.cursors?.after;
  if (!after || after === previous.get('after')) return undefined;
  query.set('after', after);
  query.delete('before');
  return query;
}

function pageSize(limit: number | undefined): number {
  const size = limit ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new GraphInputError(`Page size must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}.`);
  }
  return size;
}

function requireId(what: string, value: string): void {
  if (typeof value !== 'string' || !isMetaId(value)) {
    throw new GraphInputError(`The ${what} must be numeric (digits only), got "${String(value).slice(0, 40)}".`);
  }
}

function requireTasks(tasks: readonly string[]): Task[] {
  const unknown = tasks.filter((task) => !isTask(task));
  if (unknown.length > 0) {
    throw new GraphInputError(`Unknown task ${unknown.join(', ')}. Valid tasks: ${TASKS.join(', ')}.`);
  }
  const normalized = normalizeTasks(tasks);
  if (normalized.length < 1 || normalized.length > MAX_TASKS_PER_CALL) {
    throw new GraphInputError(`A user gets 1 to ${MAX_TASKS_PER_CALL} tasks in one call, got ${normalized.length}.`);
  }
  return normalized;
}
