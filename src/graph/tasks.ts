import { z } from 'zod';

/**
 * Permission tasks a user can hold on a WhatsApp Business Account.
 * @see ../shared/reference/graph-openapi-subset.yaml `WhatsAppBusinessAccountPermissionTask`
 */
export const TASKS = [
  'MANAGE',
  'DEVELOP',
  'MANAGE_TEMPLATES',
  'MANAGE_PHONE',
  'VIEW_COST',
  'MANAGE_EXTENSIONS',
  'VIEW_PHONE_ASSETS',
  'MANAGE_PHONE_ASSETS',
  'VIEW_TEMPLATES',
  'VIEW_INSIGHTS',
  'RECEIVE_INCOMING_MESSAGES',
  'MANAGE_BILLING',
  'MANAGE_USERS',
  'MESSAGING',
  'FULL_CONTROL',
] as const;

export type Task = (typeof TASKS)[number];

export const taskSchema = z.enum(TASKS);

/** Graph accepts 1 to 16 tasks in one `POST assigned_users`. */
export const MAX_TASKS_PER_CALL = 16;

export function isTask(value: string): value is Task {
  return (TASKS as readonly string[]).includes(value);
}

/** Tasks in the enum's order, without repeats: stable for display and for comparing sets. */
export function normalizeTasks(tasks: Iterable<string>): Task[] {
  const wanted = new Set(tasks);
  return TASKS.filter((task) => wanted.has(task));
}
