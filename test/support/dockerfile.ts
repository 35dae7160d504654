import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One instruction: its keyword, its flags (`--from=deps`), and its arguments as words or as an exec-form array. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  /** The text after the keyword and its flags, continuation lines joined. */
  text: string;
  /** The JSON array of an exec-form instruction (`CMD ["node", …]`); undefined in shell form. */
  exec?: string[];
  line: number;
}

export interface Stage {
  /** The base image, with build arguments put in. */
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Build arguments declared before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

/**
 * Reads a Dockerfile as Docker's parser does for the instructions used here: comments and parser directives skipped,
 * `\` continuations joined, flags split off, exec form read as JSON, `${ARG}` in FROM replaced by its default.
 */
export function parseDockerfile(text: string = readFileSync(DOCKERFILE, 'utf8')): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i]!;
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      i++;
      // Comment lines inside a continuation are dropped, as Docker does.
      if (/^\s*#/.test(lines[i]!)) continue;
      logical = `${logical.slice(0, -1)}${lines[i]}`;
    }
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(logical);
    if (!match) throw new Error(`Dockerfile line ${start + 1} is not an instruction: ${logical}`);
    const keyword = match[1]!.toUpperCase();
    let rest = match[2]!.trim();
    const flags: Record<string, string> = {};
    for (let flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); flag; flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
      flags[flag[1]!] = flag[2] ?? 'true';
      rest = rest.slice(flag[0].length);
    }
    const instruction: Instruction = { keyword, flags, text: rest, line: start + 1 };
    const execText = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
    if (execText.startsWith('[')) instruction.exec = JSON.parse(execText) as string[];

    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else if (keyword === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      const from = image!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced, bare) => args[braced ?? bare] ?? '');
      stages.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${keyword} before any FROM`);
      stage.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** A stage's instructions with this keyword. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The last instruction with this keyword in a stage (the one that counts for CMD, USER, ENTRYPOINT, HEALTHCHECK). */
export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return instructionsOf(stage, keyword).at(-1);
}
