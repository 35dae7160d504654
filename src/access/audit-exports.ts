import { type AuditFacts, GLOBAL_CHAIN, parseRecord, type StoredLine } from '../audit/chain.js';
import { chainNames, exportedLines, exportText } from '../audit/export.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Account, Accounts } from './accounts.js';
import { type Clock, systemClock } from './ports.js';

/** The most an export sent through Slack holds; larger trails are cut, and the person told how to get the rest. */
export const MAX_EXPORT_BYTES = 4 * 1024 * 1024;

/** What to export: one account's trail, or (without `account`) every account's and the global chain. */
export interface AuditScope {
  account?: Account;
  /** Only entries written at or after this moment (ms since the epoch). */
  since?: number;
}

/** A file ready to hand to the person who asked. */
export interface AuditFile {
  filename: string;
  content: Buffer;
  entries: number;
}

/** How an export went. */
export type AuditExportOutcome =
  | { kind: 'not-admin'; admins: readonly string[]; account?: string }
  /** Another export is being prepared in this process: one at a time keeps memory bounded. */
  | { kind: 'busy' }
  /** The file could not be handed over (`deliver` threw); nothing is recorded as exported. */
  | { kind: 'undelivered'; error: unknown }
  | {
      kind: 'exported';
      filename: string;
      entries: number;
      account?: string;
      since?: number;
      /** Set when the file was cut at MAX_EXPORT_BYTES: the time of the last entry it holds. */
      truncated?: { lastAt?: string; limitBytes: number };
    };

/**
 * Admins export the audit trail as CSV. Only admins may (of the account, or of every account for the whole trail);
 * the file is bounded in size and built one at a time; each export is itself an audit entry, in the chain of the
 * account it covers (the global chain for the whole trail), written once the file has been delivered.
 */
export class AuditExports {
  private running = false;

  constructor(
    private readonly trail: AuditTrail,
    private readonly accounts: Accounts,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Builds the file and hands it to `deliver` (which throws if it could not); then records the export. */
  async run(
    actor: string,
    scope: AuditScope,
    deliver: (file: AuditFile) => Promise<void>,
  ): Promise<AuditExportOutcome> {
    const alias = scope.account?.policy.alias;
    if (!(await this.accounts.mayExportAudit(actor, scope.account))) {
      return {
        kind: 'not-admin',
        admins: this.accounts.auditAdminIds(scope.account),
        ...(alias ? { account: alias } : {}),
      };
    }
    if (this.running) return { kind: 'busy' };
    this.running = true;
    try {
      const built = await this.build(scope);
      try {
        await deliver({ filename: built.filename, content: built.content, entries: built.entries });
      } catch (error) {
        return { kind: 'undelivered', error };
      }
      const since = scope.since === undefined ? '' : ` since ${new Date(scope.since).toISOString()}`;
      const cut = built.truncated ? ` (cut at ${MAX_EXPORT_BYTES} bytes)` : '';
      const facts: AuditFacts = {
        at: this.clock.now().toISOString(),
        actor,
        event: 'audit-exported',
        ...(alias ? { account: alias } : {}),
        detail: `CSV by Slack DM, ${built.entries} entries${since}${cut}`,
      };
      await this.trail.append(scope.account?.policy.wabaId ?? GLOBAL_CHAIN, facts);
      return {
        kind: 'exported',
        filename: built.filename,
        entries: built.entries,
        ...(alias ? { account: alias } : {}),
        ...(scope.since === undefined ? {} : { since: scope.since }),
        ...(built.truncated ? { truncated: built.truncated } : {}),
      };
    } finally {
      this.running = false;
    }
  }

  /** The CSV, built a piece at a time into buffers outside the JavaScript heap, and cut at MAX_EXPORT_BYTES. */
  private async build(scope: AuditScope) {
    const names = await chainNames(this.trail);
    const chains = scope.account ? names.filter((name) => name.chain === scope.account!.policy.wabaId) : names;
    let current: StoredLine | undefined;
    let included: StoredLine | undefined;
    async function* watched(source: AsyncIterable<{ chain: string; line: StoredLine }>) {
      for await (const item of source) {
        current = item.line;
        yield item;
      }
    }
    const lines = exportedLines(this.trail, chains, scope.since === undefined ? {} : { since: scope.since });
    const pieces: Buffer[] = [];
    let bytes = 0;
    let entries = -1; // the first piece is the header
    let truncated: { lastAt?: string; limitBytes: number } | undefined;
    for await (const text of exportText(watched(lines), 'csv')) {
      const piece = Buffer.from(text, 'utf8');
      if (bytes + piece.length > MAX_EXPORT_BYTES) {
        const lastAt = included ? parseRecord(included.text)?.at : undefined;
        truncated = { ...(typeof lastAt === 'string' ? { lastAt } : {}), limitBytes: MAX_EXPORT_BYTES };
        break;
      }
      pieces.push(piece);
      bytes += piece.length;
      entries++;
      included = current;
    }
    const stamp = this.clock.now().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    return {
      filename: `waba-audit-${scope.account?.policy.alias ?? 'all'}-${stamp}.csv`,
      content: Buffer.concat(pieces, bytes),
      entries,
      truncated,
    };
  }
}
