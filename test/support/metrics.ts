/** One sample of a Prometheus text exposition: its name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format (the subset prom-client writes); throws on a line it cannot read. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = match[3]!;
    if (!/^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]Inf|nan)$/i.test(value)) throw new Error(`not a value: ${line}`);
    samples.push({ name: match[1]!, labels, value: /^nan$/i.test(value) ? Number.NaN : Number(value) });
  }
  return samples;
}

/**
 * The sum of the samples named `name` whose labels include `labels` (0 when none match; undefined when no sample
 * of that name exists at all).
 */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const named = samples.filter((sample) => sample.name === name);
  if (named.length === 0) return undefined;
  return named
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
