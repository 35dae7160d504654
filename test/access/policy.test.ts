import { describe, expect, it } from 'vitest';
import { ApproverPolicy } from '../../src/access/policy.js';

const groups: Record<string, string[]> = { SOPS: ['UCAROL', 'UDAN'] };
const policy = () => new ApproverPolicy(['UANN', 'SOPS'], async (id) => groups[id]);

describe('ApproverPolicy', () => {
  it('lets listed users and group members decide', async () => {
    expect(await policy().canDecide({ requesterId: 'ULEAD' }, 'UANN')).toEqual({ allowed: true });
    expect(await policy().canDecide({ requesterId: 'ULEAD' }, 'UDAN')).toEqual({ allowed: true });
  });

  it('refuses everyone else', async () => {
    expect(await policy().canDecide({ requesterId: 'ULEAD' }, 'UEVE')).toEqual({
      allowed: false,
      reason: 'not-approver',
    });
  });

  it('refuses the requester, approver or not', async () => {
    expect(await policy().canDecide({ requesterId: 'UANN' }, 'UANN')).toEqual({
      allowed: false,
      reason: 'own-request',
    });
    expect(await policy().canDecide({ requesterId: 'UCAROL' }, 'UCAROL')).toEqual({
      allowed: false,
      reason: 'own-request',
    });
  });

  it('expands groups into the people to ask', async () => {
    expect((await policy().approverUserIds()).sort()).toEqual(['UANN', 'UCAROL', 'UDAN']);
  });
});
