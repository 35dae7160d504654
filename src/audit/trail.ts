import { type AuditFacts, type AuditRecord, type ChainHead, GLOBAL_CHAIN, type StoredLine } from './chain.js';

/**
 * The audit trail as a store keeps it: one hash chain per account and the global one. An append reads the chain's
 * head and writes the entry after it in one atomic step of the store, so concurrent writers (replicas included)
 * never fork a chain.
 */
export interface AuditTrail {
  /** Appends an entry with these facts after the chain's head; returns it as stored. */
  append(chain: string, facts: AuditFacts): Promise<AuditRecord>;
  /** The chains there are, in no particular order. */
  chains(): Promise<string[]>;
  /** The head the store keeps beside a chain's entries; undefined for a chain with none. */
  head(chain: string): Promise<ChainHead | undefined>;
  /** Up to `limit` entries after entry `afterSeq` (0: from the first), in order. */
  lines(chain: string, afterSeq: number, limit: number): Promise<StoredLine[]>;
}

/** Small durable values beside the trail (how far the webhook got); shared by replicas on Redis. */
export interface AuditState {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** How many entries a reader takes from the store at a time: exports of any size stay in bounded memory. */
export const PAGE_SIZE = 500;

/** A chain's entries from `afterSeq` on, page by page. */
export async function* linesOf(trail: AuditTrail, chain: string, afterSeq = 0): AsyncGenerator<StoredLine> {
  for (let after = afterSeq; ; ) {
    const page = await trail.lines(chain, after, PAGE_SIZE);
    yield* page;
    if (page.length < PAGE_SIZE) return;
    after = page[page.length - 1]!.seq;
  }
}

/** Chains in the order exports and checks list them: the global chain first, then by name. */
export async function sortedChains(trail: AuditTrail): Promise<string[]> {
  return (await trail.chains()).sort((a, b) =>
    a === GLOBAL_CHAIN ? -1 : b === GLOBAL_CHAIN ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
}
