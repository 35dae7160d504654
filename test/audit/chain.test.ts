import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  ChainVerifier,
  canonicalJson,
  GENESIS,
  hashOf,
  lineOf,
  MAX_FIELD_LENGTH,
  type StoredLine,
  seal,
} from '../../src/audit/chain.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const facts = (n: number) => ({
  at: `2026-01-01T10:00:0${n}.000Z`,
  actor: 'UANN',
  event: 'approved',
  requestId: `r${n}`,
});

/** A chain of `count` entries as a store would hold them. */
function chainOf(count: number, chain = '1000000000001'): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let n = 1; n <= count; n++) records.push(seal(chain, facts(n), records[n - 2]));
  return records;
}

const asLines = (records: Array<AuditRecord | string>): StoredLine[] =>
  records.map((record, index) => ({ seq: index + 1, text: typeof record === 'string' ? record : lineOf(record) }));

function verify(lines: StoredLine[], head: { seq: number; hash: string } | undefined, chain = '1000000000001') {
  const verifier = new ChainVerifier(chain);
  for (const line of lines) if (!verifier.check(line)) break;
  return verifier.finish(head);
}

const headOf = (records: AuditRecord[]) => {
  const last = records[records.length - 1]!;
  return { seq: last.seq, hash: last.hash };
};

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, and adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: 'x', c: [2, { z: null, y: true }] }, u: undefined })).toBe(
      '{"a":{"c":[2,{"y":true,"z":null}],"d":"x"},"b":1}',
    );
  });

  it('escapes strings as JSON does, and keeps other text as it is', () => {
    expect(canonicalJson({ detail: 'a "quote", a \\ and\na line; café ✓' })).toBe(
      '{"detail":"a \\"quote\\", a \\\\ and\\na line; café ✓"}',
    );
  });
});

describe('an entry', () => {
  it('hashes its canonical JSON without the hash: SHA-256, lowercase hex', () => {
    const record = seal('1000000000001', { at: '2026-01-01T10:00:00.000Z', actor: 'UANN', event: 'approved' });
    const expected = sha256(
      '{"actor":"UANN","at":"2026-01-01T10:00:00.000Z","chain":"1000000000001","event":"approved",' +
        `"prev":"${GENESIS}","seq":1}`,
    );
    expect(record.hash).toBe(expected);
    expect(record).toMatchObject({ seq: 1, prev: GENESIS });
    expect(GENESIS).toMatch(/^0{64}$/);
    expect(hashOf(JSON.parse(lineOf(record)))).toBe(record.hash);
  });

  it('links to the entry before it', () => {
    const [first, second, third] = chainOf(3);
    expect(second).toMatchObject({ seq: 2, prev: first!.hash });
    expect(third).toMatchObject({ seq: 3, prev: second!.hash });
  });

  it('cuts long text fields, so an entry stays small', () => {
    const record = seal('global', { ...facts(1), detail: 'x'.repeat(10_000) });
    expect(record.detail).toHaveLength(MAX_FIELD_LENGTH);
    expect(record.detail?.endsWith('…')).toBe(true);
    expect(lineOf(record).length).toBeLessThan(3_000);
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain that ends at its head', () => {
    const records = chainOf(5);
    expect(verify(asLines(records), headOf(records))).toBeUndefined();
    expect(verify([], undefined)).toBeUndefined();
  });

  it('names the entry whose content was changed', () => {
    const records = chainOf(5);
    const lines = asLines(records);
    lines[2] = { seq: 3, text: lineOf({ ...records[2]!, actor: 'UMALLORY' }) };
    expect(verify(lines, headOf(records))).toEqual({
      chain: '1000000000001',
      seq: 3,
      at: records[2]!.at,
      problem: 'hash-mismatch',
    });
  });

  it('names the entry after one that was changed and hashed again', () => {
    const records = chainOf(5);
    const forged = { ...records[1]!, actor: 'UMALLORY' };
    const lines = asLines(records);
    lines[1] = { seq: 2, text: lineOf({ ...forged, hash: hashOf(forged) }) };
    expect(verify(lines, headOf(records))).toMatchObject({ seq: 3, problem: 'prev-mismatch' });
  });

  it('names where an entry was removed, repeated or moved', () => {
    const records = chainOf(5);
    const removed = [records[0]!, records[1]!, records[3]!, records[4]!];
    expect(verify(asLines(removed), headOf(records))).toMatchObject({ seq: 3, problem: 'out-of-sequence' });
    const swapped = [records[0]!, records[2]!, records[1]!, records[3]!, records[4]!];
    expect(verify(asLines(swapped), headOf(records))).toMatchObject({ seq: 2, problem: 'out-of-sequence' });
  });

  it('names the first entry of a chain that starts elsewhere than the genesis value', () => {
    const records = chainOf(3);
    const renumbered = records.slice(1).map((record) => {
      const moved = { ...record, seq: record.seq - 1 };
      return { ...moved, hash: hashOf(moved) };
    });
    expect(verify(asLines(renumbered), headOf(renumbered))).toMatchObject({ seq: 1, problem: 'prev-mismatch' });
  });

  it('notices entries removed from the end, or added behind the store’s back, against the head', () => {
    const records = chainOf(5);
    expect(verify(asLines(records.slice(0, 3)), headOf(records))).toMatchObject({
      seq: 4,
      problem: 'head-mismatch',
      at: records[2]!.at,
    });
    const extra = [...records, seal('1000000000001', facts(6), records[4])];
    expect(verify(asLines(extra), headOf(records))).toMatchObject({ seq: 6, problem: 'head-mismatch' });
    const replaced = [...records.slice(0, 4), seal('1000000000001', facts(9), records[3])];
    expect(verify(asLines(replaced), headOf(records))).toMatchObject({ seq: 5, problem: 'head-mismatch' });
  });

  it('names unreadable text and entries of another chain, with the account when known', () => {
    const records = chainOf(2).map((record) => ({ ...record }));
    const withAccount = seal('1000000000001', { ...facts(1), account: 'support' });
    expect(verify(asLines([withAccount, '{not json']), undefined)).toEqual({
      chain: '1000000000001',
      seq: 2,
      account: 'support',
      problem: 'unreadable',
    });
    expect(verify(asLines(records), headOf(records), 'global')).toMatchObject({ seq: 1, problem: 'wrong-chain' });
  });
});
