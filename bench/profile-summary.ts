import { readFileSync } from 'node:fs';

/**
 * Self time by function in a V8 `.cpuprofile` (as `node --cpu-prof` writes), most first; also folded by file so a
 * library's share shows at a glance. Usage:
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [--window=<fromUs>-<toUs>]` (windows: see ack-tail.ts).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Self time per function and per file; with `window` (µs, the profile's clock), only the samples inside it. */
export function summarise(
  profile: Profile,
  window?: { fromUs: number; toUs: number },
): { total: number; byFunction: SelfTime[]; byFile: SelfTime[] } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    at += micros;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    total += micros;
    const file = shortUrl(frame.url) || `(${frame.functionName || 'native'})`;
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
  });
  const ranked = (map: Map<string, number>) =>
    [...map]
      .map(([name, micros]) => ({
        name,
        ms: Math.round(micros / 100) / 10,
        share: Math.round((micros / total) * 1000) / 10,
      }))
      .sort((a, b) => b.ms - a.ms);
  return { total: total / 1000, byFunction: ranked(byFunction), byFile: ranked(byFile) };
}

/** Paths under node_modules by package and file; the project's own by path; node's internals as they are. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*?\/(dist|src|bench)\//, '$1/');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const args = process.argv.slice(2);
  const windowArg = args.find((arg) => arg.startsWith('--window='));
  const [file, top = '30'] = args.filter((arg) => arg !== windowArg);
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [--window=<fromUs>-<toUs>]');
    process.exit(1);
  }
  const [fromUs, toUs] = (windowArg?.slice('--window='.length).split('-') ?? []).map(Number);
  const window = fromUs !== undefined && toUs !== undefined ? { fromUs, toUs } : undefined;
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, window);
  console.log(`${Math.round(summary.total)} ms sampled`);
  console.table(summary.byFunction.slice(0, Number(top)));
  console.table(summary.byFile.slice(0, Number(top)));
}
