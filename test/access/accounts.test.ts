import { describe, expect, it } from 'vitest';
import { type AccountPolicy, Accounts, accountPolicy, NO_PEOPLE, type Policy } from '../../src/access/accounts.js';
import { GraphClient } from '../../src/graph/client.js';

const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't' });
const groups: Record<string, string[]> = { SLEADS: ['ULEAD'] };
const groupMembers = async (id: string) => groups[id];

const support = accountPolicy({ alias: 'support', wabaId: '1', businessId: '9', approverIds: ['UANN'] });
const sales = accountPolicy({ alias: 'sales', wabaId: '2', businessId: '9', approverIds: ['UBOB'] });

function policyOf(accounts: AccountPolicy[], defaultAlias = accounts[0]!.alias): Policy {
  return { accounts, defaultAlias, adminIds: ['UADMIN'], people: NO_PEOPLE };
}

describe('Accounts', () => {
  it('finds accounts by alias (any case) and by WABA, and knows the default', () => {
    const accounts = new Accounts(policyOf([support, sales], 'sales'), { graph, groupMembers });
    expect(accounts.default.policy).toBe(sales);
    expect(accounts.byAlias('SUPPORT')?.policy).toBe(support);
    expect(accounts.byAlias('nope')).toBeUndefined();
    expect(accounts.forWaba('2')?.policy).toBe(sales);
    expect(accounts.list().map((account) => account.policy.alias)).toEqual(['support', 'sales']);
  });

  it('keeps an account that left the policy reachable by its WABA, and each WABA’s roster cache, across reloads', () => {
    const accounts = new Accounts(policyOf([support, sales]), { graph, groupMembers });
    const supportWaba = accounts.byAlias('support')!.waba;
    const renamed = { ...support, alias: 'help', approverIds: ['UCARA'] };
    accounts.replace(policyOf([renamed]));

    expect(accounts.byAlias('sales')).toBeUndefined();
    expect(accounts.list()).toHaveLength(1);
    expect(accounts.forWaba('2')?.policy).toBe(sales);
    expect(accounts.forWaba('1')?.policy).toBe(renamed);
    expect(accounts.byAlias('help')!.waba).toBe(supportWaba);

    accounts.replace(policyOf([renamed, sales]));
    expect(accounts.byAlias('sales')?.policy).toBe(sales);
  });

  it('answers who administers the bot from the policy in place', async () => {
    const accounts = new Accounts(policyOf([support]), { graph, groupMembers });
    expect(await accounts.isAdmin('UADMIN')).toBe(true);
    accounts.replace({ ...policyOf([support]), adminIds: ['SLEADS'] });
    expect(await accounts.isAdmin('UADMIN')).toBe(false);
    expect(await accounts.isAdmin('ULEAD')).toBe(true);
  });
});

describe('who may link people', () => {
  it('is a global admin, or an admin of every account: a link is used on all of them', async () => {
    const withAdmins = (ids: string[] | undefined, policy: AccountPolicy) => ({
      ...policy,
      ...(ids ? { adminIds: ids } : {}),
    });
    const accounts = new Accounts(
      {
        ...policyOf([withAdmins(['UDAN', 'SLEADS'], support), withAdmins(['UDAN', 'UEVE'], sales)]),
        adminIds: ['UADMIN'],
      },
      { graph, groupMembers },
    );
    expect(await accounts.mayLinkPeople('UADMIN')).toBe(true);
    expect(await accounts.mayLinkPeople('UDAN')).toBe(true);
    // An admin of one account only, directly or through a group, and approvers, may not.
    expect(await accounts.mayLinkPeople('UEVE')).toBe(false);
    expect(await accounts.mayLinkPeople('ULEAD')).toBe(false);
    expect(await accounts.mayLinkPeople('UANN')).toBe(false);
    expect(accounts.linkAdminIds()).toEqual(['UADMIN', 'UDAN']);

    // An account without admins of its own leaves linking to the global admins.
    accounts.replace({ ...policyOf([withAdmins(['UDAN'], support), sales]), adminIds: ['UADMIN'] });
    expect(await accounts.mayLinkPeople('UDAN')).toBe(false);
    expect(accounts.linkAdminIds()).toEqual(['UADMIN']);
  });
});
