import { type ChainBreak, type ChainProblem, ChainVerifier } from './chain.js';
import { type AuditTrail, linesOf, sortedChains } from './trail.js';

/** What checking one chain found. */
export interface ChainReport {
  chain: string;
  /** The account alias its entries carry (the latest); none for the global chain. */
  account?: string;
  /** Entries that hold, up to the first break. */
  count: number;
  /** When the last entry that holds was written. */
  lastAt?: string;
  /** The hash of the last entry that holds: note it, and a later check can tell the chain up to it was kept. */
  lastHash: string;
  broken?: ChainBreak;
}

/** Checks every chain of the trail from its first entry to the head the store keeps, a page at a time. */
export async function verifyTrail(trail: AuditTrail): Promise<ChainReport[]> {
  const reports: ChainReport[] = [];
  for (const chain of await sortedChains(trail)) {
    const verifier = new ChainVerifier(chain);
    for await (const line of linesOf(trail, chain)) if (!verifier.check(line)) break;
    const broken = verifier.finish(await trail.head(chain));
    reports.push({
      chain,
      ...(verifier.account ? { account: verifier.account } : {}),
      count: verifier.count,
      lastHash: verifier.lastHash,
      ...(verifier.lastAt ? { lastAt: verifier.lastAt } : {}),
      ...(broken ? { broken } : {}),
    });
  }
  return reports;
}

/** Why an entry does not hold, in words. */
export const PROBLEM_TEXT: Record<ChainProblem, string> = {
  unreadable: 'it is not a JSON object',
  'wrong-chain': 'it names another chain',
  'out-of-sequence': 'it is not the next entry in order (an entry is missing, repeated or moved)',
  'prev-mismatch': 'it does not carry the hash of the entry before it (an entry before it was changed or removed)',
  'hash-mismatch': 'its hash does not match its content (it was changed after it was written)',
  'head-mismatch':
    'the chain does not end where the store recorded its last entry (entries were removed or added at the end)',
};
