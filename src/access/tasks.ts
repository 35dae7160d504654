import { z } from 'zod';
import type { Task as GraphTask } from '../graph/tasks.js';

/**
 * What people may hold on a WhatsApp Business Account and ask for: the domain's own list. The Graph client keeps
 * Meta's wire enum (src/graph/tasks.ts); the check below makes the two fail to compile the moment they differ.
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

type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** Compiles only while the domain's tasks and Meta's wire enum are the same set. */
export const TASKS_MATCH_GRAPH: Exactly<Task, GraphTask> = true;

export const taskSchema = z.enum(TASKS);

export function isTask(value: string): value is Task {
  return (TASKS as readonly string[]).includes(value);
}

/** Tasks in the list's order, without repeats: stable for display and for comparing sets. */
export function normalizeTasks(tasks: Iterable<string>): Task[] {
  const wanted = new Set(tasks);
  return TASKS.filter((task) => wanted.has(task));
}

/** The task closest to `word` by edit distance, when it is close enough to be a typo. */
export function nearestTask(word: string): Task | undefined {
  const candidate = word.toUpperCase().replace(/-/g, '_');
  let best: { task: Task; distance: number } | undefined;
  for (const task of TASKS) {
    const distance = editDistance(candidate, task);
    if (!best || distance < best.distance) best = { task, distance };
  }
  if (!best) return undefined;
  const tolerance = Math.max(2, Math.floor(best.task.length / 3));
  return best.distance <= tolerance ? best.task : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
