import { describe, expect, it } from 'vitest';
import { Interest } from '../../src/access/use-cases/interest.js';

describe('Interest', () => {
  const links = new Map([['UBOB', '111']]);
  const counted = () => {
    const asked: string[] = [];
    const interest = new Interest({
      metaIdOf: async (slackId) => {
        asked.push(slackId);
        return links.get(slackId);
      },
    });
    return { interest, asked };
  };

  const own = { requesterId: 'UBOB', targetUserId: '222' };
  const named = { requesterId: 'ULEAD', targetSlackId: 'UBOB', targetUserId: '222' };
  const linked = { requesterId: 'ULEAD', targetUserId: '111' };
  const other = { requesterId: 'ULEAD', targetUserId: '333' };

  it('finds the requester, the person named, and whoever is linked to the Meta user', async () => {
    const { interest } = counted();
    expect(await interest.of(own, 'UBOB')).toBe('own-request');
    expect(await interest.of(named, 'UBOB')).toBe('beneficiary');
    expect(await interest.of(linked, 'UBOB')).toBe('beneficiary');
    expect(await interest.of(other, 'UBOB')).toBeUndefined();
    expect(await interest.of(linked, 'system')).toBeUndefined();
  });

  it('answers as `of` does for one actor across many requests, asking the directory at most once', async () => {
    const { interest, asked } = counted();
    const ofBob = interest.ofActor('UBOB');
    expect(await ofBob(own)).toBe('own-request');
    expect(await ofBob(named)).toBe('beneficiary');
    expect(asked).toEqual([]);
    expect(await Promise.all([ofBob(linked), ofBob(other), ofBob(linked)])).toEqual([
      'beneficiary',
      undefined,
      'beneficiary',
    ]);
    expect(asked).toEqual(['UBOB']);
    // Each list drawn asks afresh: a link made since counts.
    await interest.ofActor('UBOB')(other);
    expect(asked).toEqual(['UBOB', 'UBOB']);
  });
});
