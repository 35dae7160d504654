/**
 * A "billion laughs" YAML file: nine levels of aliases, each nine times the last (387 million strings if expanded).
 * It parses; expanding it is what the yaml package refuses (its alias-count limit).
 */
export function billionLaughs(): string {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  const lines = [`${levels[0]}: &${levels[0]} [${Array(9).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels.length; i += 1) {
    lines.push(
      `${levels[i]}: &${levels[i]} [${Array(9)
        .fill(`*${levels[i - 1]}`)
        .join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\naccounts: *i\n`;
}
