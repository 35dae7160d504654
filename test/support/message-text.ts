/** What tests read off a Slack message: its visible text and its buttons. */

/** Everything a person would read in a message: its text and every text inside its blocks. */
export function visibleText(message: { text?: string; blocks?: unknown }): string {
  const texts: string[] = [message.text ?? ''];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    if (typeof record.text === 'string') texts.push(record.text);
    for (const value of Object.values(record)) walk(value);
  };
  walk(message.blocks);
  return texts.join('\n');
}

/** Action ids of every button in a message. */
export function buttonsOf(message: { blocks?: unknown }): string[] {
  const ids: string[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    if (record.type === 'button' && typeof record.action_id === 'string') ids.push(record.action_id);
    for (const value of Object.values(record)) walk(value);
  };
  walk(message.blocks);
  return ids;
}
