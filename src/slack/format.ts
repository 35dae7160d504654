import { LIMITS } from './limits.js';

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function mention(slackId: string): string {
  if (slackId === 'system') return 'the bot';
  return slackId.startsWith('S') ? `<!subteam^${slackId}>` : `<@${slackId}>`;
}

/** A date Slack shows in each reader's own time zone, with a UTC fallback. */
export function slackDate(iso: string): string {
  const date = new Date(iso);
  const seconds = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`;
}

export function taskList(tasks: readonly string[] | null): string {
  if (!tasks || tasks.length === 0) return '_no access_';
  return tasks.map((task) => `\`${task}\``).join(', ');
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Packs lines into as few section texts as the per-section limit allows. */
export function packLines(lines: readonly string[], maxChars: number = LIMITS.sectionText): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = clip(raw, maxChars);
    if (current && current.length + 1 + line.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks;
}
