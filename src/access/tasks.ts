import { TASKS, type Task } from '../graph/tasks.js';

/**
 * What people may hold on a WhatsApp Business Account and ask for: exactly Meta's task enum, so a request can never
 * name a task Graph would refuse. The domain and the Slack layer take tasks from here; the list itself lives beside
 * the Graph client (src/graph/tasks.ts), which sends it.
 */
export { isTask, normalizeTasks, TASKS, type Task, taskSchema } from '../graph/tasks.js';

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
