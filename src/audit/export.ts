import { parseDuration } from '../access/duration.js';
import { FACT_FIELDS, GLOBAL_CHAIN, parseRecord, type StoredLine } from './chain.js';
import { csvRow } from './csv.js';
import { type AuditTrail, linesOf, sortedChains } from './trail.js';

/** Which entries an export holds. */
export interface ExportFilter {
  /** Only entries written at or after this moment (ms since the epoch). */
  since?: number;
  /** Only this account's chain: its alias (as its latest entry carries it), its WABA id, or `global`. */
  account?: string;
}

export type ExportFormat = 'jsonl' | 'csv';

/** The CSV's columns: where the entry sits in its chain, what it says, and its links. */
export const CSV_COLUMNS = ['chain', 'seq', ...FACT_FIELDS, 'prev', 'hash'] as const;

/** How the CSV header names each column. */
const HEADER: Record<(typeof CSV_COLUMNS)[number], string> = {
  chain: 'chain',
  seq: 'seq',
  at: 'at',
  account: 'account',
  actor: 'actor',
  event: 'event',
  requestId: 'request_id',
  person: 'person',
  before: 'meta_user_before',
  after: 'meta_user_after',
  via: 'via',
  movedTo: 'moved_to',
  detail: 'detail',
  prev: 'prev',
  hash: 'hash',
};

/** A chain and the alias its latest entry carries (none for the global chain, or an unreadable entry). */
export interface ChainName {
  chain: string;
  account?: string;
}

/** Every chain with its account's alias, the global chain first. */
export async function chainNames(trail: AuditTrail): Promise<ChainName[]> {
  const names: ChainName[] = [];
  for (const chain of await sortedChains(trail)) {
    const head = await trail.head(chain);
    const [last] = head ? await trail.lines(chain, head.seq - 1, 1) : [];
    const account = last ? parseRecord(last.text)?.account : undefined;
    names.push({ chain, ...(typeof account === 'string' ? { account } : {}) });
  }
  return names;
}

/** The chains an export or a check covers: all, or the one an account names (by alias, WABA id or `global`). */
export function chainsFor(names: ChainName[], account?: string): ChainName[] {
  if (account === undefined) return names;
  const wanted = account.toLowerCase();
  return names.filter(
    (name) =>
      name.chain === account || name.account === wanted || (wanted === GLOBAL_CHAIN && name.chain === GLOBAL_CHAIN),
  );
}

/** How a chain is named to people: its account and WABA, or what the global chain holds. */
export function describeChain(name: ChainName): string {
  if (name.chain === GLOBAL_CHAIN) return 'global (link changes, exports of every account)';
  return name.account ? `${name.account} (WABA ${name.chain})` : `WABA ${name.chain}`;
}

/** The entries of these chains that pass the filter, chain after chain, each in order, a page at a time. */
export async function* exportedLines(
  trail: AuditTrail,
  chains: ChainName[],
  filter: ExportFilter = {},
): AsyncGenerator<{ chain: string; line: StoredLine }> {
  for (const { chain } of chains) {
    for await (const line of linesOf(trail, chain)) {
      if (filter.since !== undefined) {
        const at = Date.parse(String(parseRecord(line.text)?.at ?? ''));
        // An entry whose time cannot be read is kept: an export never hides what it cannot judge.
        if (!Number.isNaN(at) && at < filter.since) continue;
      }
      yield { chain, line };
    }
  }
}

/**
 * The export's text, line by line. JSONL: each entry as stored (its canonical JSON with its hash), so every line
 * can be checked on its own. CSV: a header, then one row per entry in `CSV_COLUMNS` order.
 */
export async function* exportText(
  entries: AsyncIterable<{ chain: string; line: StoredLine }>,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvRow(CSV_COLUMNS.map((column) => HEADER[column]));
  for await (const { chain, line } of entries) {
    if (format === 'jsonl') {
      yield `${line.text.replace(/[\r\n]+/g, ' ')}\n`;
      continue;
    }
    const record = parseRecord(line.text);
    if (!record) {
      yield csvRow([
        chain,
        line.seq,
        ...FACT_FIELDS.map((field) => (field === 'detail' ? 'unreadable entry' : undefined)),
      ]);
      continue;
    }
    yield csvRow(
      CSV_COLUMNS.map((column) => {
        const value = record[column];
        return typeof value === 'string' || typeof value === 'number' ? value : undefined;
      }),
    );
  }
}

/**
 * `30d`, `4h` (that long before `now`), or a date or moment (`2026-01-01`, `2026-01-01T10:00:00Z`): the moment an
 * export starts at, in ms since the epoch. Undefined when the text is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text.trim())) return undefined;
  const moment = Date.parse(text.trim());
  return Number.isNaN(moment) ? undefined : moment;
}
