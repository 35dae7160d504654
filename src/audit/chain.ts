import { createHash } from 'node:crypto';

/**
 * The audit trail's hash chains. Every account has a chain of its own (named by its WABA id), and facts that
 * concern every account (who is linked to whom, exports of the whole trail) go to the chain named `global`.
 *
 * Entry N of a chain carries `seq` N, `prev` (entry N-1's `hash`; `GENESIS` for entry 1) and its own `hash`: the
 * SHA-256, in lowercase hex, of the UTF-8 bytes of the entry's canonical JSON without the `hash` field. Canonical
 * JSON is RFC 8785 (JCS) for these entries: object keys sorted, no whitespace, strings escaped as JSON.stringify
 * does, integers as decimal. Changing, inserting, removing or reordering an entry breaks a link that
 * `verifyLines` reports.
 */

/** The `prev` of a chain's first entry. */
export const GENESIS = '0'.repeat(64);

/** The chain of facts that are not about one account: link changes, exports of every account. */
export const GLOBAL_CHAIN = 'global';

/** Text fields longer than this are cut (with "…"), so an entry and a webhook body stay small. */
export const MAX_FIELD_LENGTH = 2_000;

/** What an entry says. Every field is text. */
export interface AuditFacts {
  /** When it happened (ISO 8601, UTC). */
  at: string;
  /** A Slack user id, or `system`. */
  actor: string;
  event: string;
  /** The account's alias when it was written. */
  account?: string;
  requestId?: string;
  detail?: string;
  /** Link changes: the Slack person, their Meta user before and after, how it was asked for. */
  person?: string;
  before?: string;
  after?: string;
  via?: string;
  /** Set when the person lost their Meta user because it was linked to this other person. */
  movedTo?: string;
}

/** The fields an entry may carry besides the chain's own, in the order exports list them. */
export const FACT_FIELDS = [
  'at',
  'account',
  'actor',
  'event',
  'requestId',
  'person',
  'before',
  'after',
  'via',
  'movedTo',
  'detail',
] as const satisfies ReadonlyArray<keyof AuditFacts>;

/** One entry of a chain, as stored, exported and sent to the webhook. */
export interface AuditRecord extends AuditFacts {
  chain: string;
  seq: number;
  prev: string;
  hash: string;
}

/** Where a chain ends: its last entry's number and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** RFC 8785 canonical JSON for plain data: sorted keys, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The hash of an entry: SHA-256 of its canonical JSON without `hash`. */
export function hashOf(record: Omit<AuditRecord, 'hash'> | Record<string, unknown>): string {
  const { hash: _ignored, ...content } = record as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/** The entry that follows `head` (or starts the chain) with these facts, hashed. */
export function seal(chain: string, facts: AuditFacts, head?: ChainHead): AuditRecord {
  const clipped = Object.fromEntries(
    Object.entries(facts)
      .filter(([, value]) => typeof value === 'string')
      .map(([key, value]: [string, string]) => [
        key,
        value.length > MAX_FIELD_LENGTH ? `${value.slice(0, MAX_FIELD_LENGTH - 1)}…` : value,
      ]),
  ) as unknown as AuditFacts;
  const unsealed = { ...clipped, chain, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? GENESIS };
  return { ...unsealed, hash: hashOf(unsealed) };
}

/** The text an entry is stored and sent as: its canonical JSON, hash included. */
export function lineOf(record: AuditRecord): string {
  return canonicalJson(record);
}

/** What is wrong with an entry, in words for the person verifying. */
export type ChainProblem =
  | 'unreadable'
  | 'wrong-chain'
  | 'out-of-sequence'
  | 'prev-mismatch'
  | 'hash-mismatch'
  | 'head-mismatch';

/** The first entry of a chain that does not hold, and why. */
export interface ChainBreak {
  chain: string;
  /** The entry's place in the chain (1 for the first). */
  seq: number;
  /** When the entry says it was written, if it can be read. */
  at?: string;
  account?: string;
  problem: ChainProblem;
}

/** An entry as a store holds it: its place in the chain and its text. */
export interface StoredLine {
  seq: number;
  text: string;
}

/**
 * Follows one chain's entries in order: each must parse, name this chain, carry the next number, link to the
 * entry before and hash to its own `hash`. Feed it every entry, then `finish` with the head the store keeps.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prev = GENESIS;
  private broken?: ChainBreak;
  /** The account alias the chain's entries carry (the latest one seen). */
  account?: string;
  count = 0;
  lastAt?: string;

  constructor(readonly chain: string) {}

  /** The hash of the last entry that holds: it pins every entry before it (GENESIS for an empty chain). */
  get lastHash(): string {
    return this.prev;
  }

  /** Checks the next entry; false once the chain is broken (nothing after a break is checked). */
  check(line: StoredLine): boolean {
    if (this.broken) return false;
    const record = parseRecord(line.text);
    const at = typeof record?.at === 'string' ? record.at : undefined;
    if (typeof record?.account === 'string') this.account = record.account;
    const fail = (problem: ChainProblem) => {
      this.broken = {
        chain: this.chain,
        seq: line.seq,
        ...(at ? { at } : {}),
        ...(this.account ? { account: this.account } : {}),
        problem,
      };
      return false;
    };
    if (!record) return fail('unreadable');
    if (record.chain !== this.chain) return fail('wrong-chain');
    if (record.seq !== this.expectedSeq || line.seq !== this.expectedSeq) return fail('out-of-sequence');
    if (record.prev !== this.prev) return fail('prev-mismatch');
    if (record.hash !== hashOf(record)) return fail('hash-mismatch');
    this.prev = record.hash as string;
    this.expectedSeq++;
    this.count++;
    this.lastAt = at;
    return true;
  }

  /** The first break, if any; a chain whose last entry is not the head the store recorded is broken there. */
  finish(head: ChainHead | undefined): ChainBreak | undefined {
    if (this.broken) return this.broken;
    const last = this.expectedSeq - 1;
    const headSeq = head?.seq ?? 0;
    if (headSeq !== last || (head && head.hash !== this.prev)) {
      // Entries past the head were added behind the store's back; entries up to the head are missing; or the
      // last entry is not the one the head recorded.
      return {
        chain: this.chain,
        seq: headSeq === last ? last : Math.min(headSeq, last) + 1,
        ...(this.lastAt ? { at: this.lastAt } : {}),
        ...(this.account ? { account: this.account } : {}),
        problem: 'head-mismatch',
      };
    }
    return undefined;
  }
}

/** An entry's text as an object, or undefined when it is not a JSON object. */
export function parseRecord(text: string): (Record<string, unknown> & Partial<AuditRecord>) | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
