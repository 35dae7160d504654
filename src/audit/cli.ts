import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadStoreSettings } from '../config.js';
import { openStore, type Store } from '../store/open-store.js';
import {
  type ChainName,
  chainNames,
  chainsFor,
  describeChain,
  type ExportFormat,
  exportedLines,
  exportText,
  parseSince,
} from './export.js';
import { PROBLEM_TEXT, verifyTrail } from './verify.js';

/** Where the command writes: its result to `out`, problems to `err`. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Writes text; resolves once it may write more (so a large export never piles up in memory). */
  out(text: string): Promise<void>;
  err(text: string): void;
  now?: () => number;
}

export const USAGE = `Usage:
  npm run -s audit -- verify [--account <alias|waba-id|global>]
  npm run -s audit -- export [--since <30d|2026-01-01>] [--account <alias|waba-id|global>] [--format jsonl|csv]

verify  checks every hash chain from its first entry to its head; exits 1 naming the first broken entry.
export  writes the entries to stdout: JSONL (each entry as stored, hash included) or CSV.
The store is the bot's: STORE_URL and STORE_NAMESPACE, from the environment or ./.env.`;

/** Exit codes: 0 all well, 1 the trail is broken, 2 the command or the store could not be used. */
const EXIT = { ok: 0, broken: 1, usage: 2 } as const;

/** How long opening the store may take before the command gives up. */
const OPEN_TIMEOUT_MS = 10_000;

/** `npm run audit -- <verify|export> …`: returns the exit code. */
export async function runAuditCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { command, values } = parsed;
  if (values.help || command === 'help') {
    await io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command !== 'verify' && command !== 'export') {
    io.err(`${command ? `Unknown command "${command}".` : 'Say what to do: verify or export.'}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') {
    io.err(`--format must be jsonl or csv, not "${format}".\n`);
    return EXIT.usage;
  }
  const now = io.now?.() ?? Date.now();
  const since = values.since === undefined ? undefined : parseSince(values.since, now);
  if (values.since !== undefined && since === undefined) {
    io.err(`--since takes a duration (30d, 12h) or a date (2026-01-01), not "${values.since}".\n`);
    return EXIT.usage;
  }
  if (command === 'verify' && values.since !== undefined) {
    io.err('verify checks whole chains, from their first entry: --since is for export.\n');
    return EXIT.usage;
  }

  const store = await open(io);
  if (!store) return EXIT.usage;
  try {
    const names = await chainNames(store.auditTrail);
    const chains = chainsFor(names, values.account);
    if (values.account !== undefined && chains.length === 0) {
      io.err(`No chain belongs to account "${values.account}". The chains: ${listOf(names)}.\n`);
      return EXIT.usage;
    }
    if (command === 'verify') return await verify(store, chains, io);
    const entries = exportedLines(store.auditTrail, chains, since === undefined ? {} : { since });
    for await (const text of exportText(entries, format as ExportFormat)) await io.out(text);
    return EXIT.ok;
  } finally {
    await store.close().catch(() => undefined);
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      account: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 1) throw new Error(`One command at a time, not "${positionals.join(' ')}".`);
  return { command: positionals[0], values };
}

async function open(io: CliIo): Promise<Store | undefined> {
  let settings: ReturnType<typeof loadStoreSettings>;
  try {
    settings = loadStoreSettings(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`${error.problems.join('\n')}\n`);
    return undefined;
  }
  const { storeUrl, storeNamespace } = settings;
  if (storeUrl.startsWith('memory://')) {
    io.err('STORE_URL is memory://: that store lives inside the bot and goes with it; there is nothing to read.\n');
    return undefined;
  }
  if (storeUrl.startsWith('sqlite://') && !existsSync(resolve(storeUrl.slice('sqlite://'.length)))) {
    io.err(
      `There is no store at ${resolve(storeUrl.slice('sqlite://'.length))}. Run this where the bot runs, with its STORE_URL.\n`,
    );
    return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((settle) => {
    timer = setTimeout(() => settle(undefined), OPEN_TIMEOUT_MS);
  });
  try {
    const store = await Promise.race([openStore(storeUrl, { namespace: storeNamespace }), late]);
    if (!store) io.err(`The store at STORE_URL did not answer within ${OPEN_TIMEOUT_MS / 1000} s.\n`);
    return store;
  } catch (error) {
    io.err(`The store at STORE_URL cannot be opened: ${(error as Error).message}\n`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

async function verify(store: Store, chains: ChainName[], io: CliIo): Promise<number> {
  const wanted = new Set(chains.map((name) => name.chain));
  const reports = (await verifyTrail(store.auditTrail)).filter((report) => wanted.has(report.chain));
  const names = new Map(chains.map((name) => [name.chain, name]));
  let entries = 0;
  const broken: string[] = [];
  for (const report of reports) {
    const name = describeChain(names.get(report.chain) ?? report);
    entries += report.count;
    if (!report.broken) {
      await io.out(
        `${name}: ${count(report.count)} entries, intact${report.lastAt ? ` (last ${report.lastAt}); head ${report.lastHash}` : ''}\n`,
      );
      continue;
    }
    const { seq, at, problem } = report.broken;
    const where = `entry ${seq}${at ? `, written ${at}` : ''}`;
    await io.out(
      `${name}: BROKEN at ${where}: ${PROBLEM_TEXT[problem]}. The ${count(report.count)} entries before it hold.\n`,
    );
    broken.push(`${name}, ${where}`);
  }
  if (broken.length === 0) {
    await io.out(`The audit trail is intact: ${reports.length} chain(s), ${count(entries)} entries.\n`);
    return EXIT.ok;
  }
  io.err(
    `The audit trail is broken in ${broken.length} of ${reports.length} chain(s). First broken entry: ${broken[0]}.\n`,
  );
  return EXIT.broken;
}

const count = (n: number) => n.toLocaleString('en-US');

function listOf(names: ChainName[]): string {
  return names.length === 0 ? 'none yet' : names.map(describeChain).join(', ');
}
