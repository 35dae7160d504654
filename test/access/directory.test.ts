import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import type { PolicyPeople } from '../../src/access/accounts.js';
import { Directory } from '../../src/access/directory.js';
import { KeyvDirectoryStore } from '../../src/store/directory.js';

function directory(known = ['111', '222']) {
  return new Directory({
    store: new KeyvDirectoryStore(new Keyv()),
    isAdmin: async (slackId) => slackId === 'UADMIN',
    metaUserExists: async (id) => known.includes(id),
    clock: { now: () => new Date('2026-03-01T09:00:00Z') },
  });
}

describe('Directory', () => {
  it('links both ways, and moves a Meta user to the person linked last', async () => {
    const people = directory();
    expect(await people.link('UALICE', '111', 'UADMIN')).toEqual({
      kind: 'linked',
      link: { slackId: 'UALICE', metaUserId: '111', by: 'UADMIN', at: '2026-03-01T09:00:00.000Z' },
    });
    expect(await people.metaIdOf('UALICE')).toBe('111');
    expect(await people.slackIdOf('111')).toBe('UALICE');

    await people.link('UBOB', '111', 'UADMIN');
    expect(await people.metaIdOf('UALICE')).toBeUndefined();
    expect(await people.slackIdOf('111')).toBe('UBOB');

    expect(await people.link('UBOB', '222', 'UADMIN')).toMatchObject({ previous: { metaUserId: '111' } });
    expect(await people.slackIdOf('111')).toBeUndefined();
    expect(await people.slackIdOf('222')).toBe('UBOB');
  });

  it('lets only admins change links, and never links an id Meta does not know', async () => {
    const people = directory();
    expect(await people.link('UALICE', '111', 'UALICE')).toEqual({ kind: 'forbidden' });
    expect(await people.link('UALICE', '999', 'UADMIN')).toEqual({ kind: 'unknown-meta-user', metaUserId: '999' });
    expect(await people.metaIdOf('UALICE')).toBeUndefined();
    await people.link('UALICE', '111', 'UADMIN');
    expect(await people.unlink('UALICE', 'UBOB')).toEqual({ kind: 'forbidden' });
    expect(await people.unlink('UALICE', 'UADMIN')).toMatchObject({ kind: 'unlinked' });
    expect(await people.unlink('UALICE', 'UADMIN')).toEqual({ kind: 'not-linked', slackId: 'UALICE' });
    expect(await people.slackIdOf('111')).toBeUndefined();
  });

  describe('with entries in the policy file', () => {
    const emails = new Map([
      ['UBOB', 'bob@example.com'],
      ['UCARA', 'cara@example.com'],
    ]);
    let fixed: PolicyPeople;
    const withFile = () =>
      new Directory({
        store: new KeyvDirectoryStore(new Keyv()),
        isAdmin: async (slackId) => slackId === 'UADMIN',
        metaUserExists: async () => true,
        fixed: () => fixed,
        emails: {
          emailOf: async (slackId) => emails.get(slackId),
          slackIdOf: async (email) => [...emails].find(([, known]) => known === email)?.[0],
        },
      });

    it('finds people by Slack id and by their email, both ways, before any link', async () => {
      fixed = { bySlackId: new Map([['UALICE', '111']]), byEmail: new Map([['bob@example.com', '222']]) };
      const people = withFile();
      expect(await people.metaIdOf('UALICE')).toBe('111');
      expect(await people.metaIdOf('UBOB')).toBe('222');
      expect(await people.slackIdOf('222')).toBe('UBOB');
      expect(await people.metaIdOf('UCARA')).toBeUndefined();
      await people.link('UCARA', '333', 'UADMIN');
      expect(await people.metaIdOf('UCARA')).toBe('333');
    });

    it('refuses to link or unlink what the file says, naming the entry', async () => {
      fixed = { bySlackId: new Map([['UALICE', '111']]), byEmail: new Map([['bob@example.com', '222']]) };
      const people = withFile();
      expect(await people.link('UALICE', '999', 'UADMIN')).toEqual({
        kind: 'fixed',
        slackId: 'UALICE',
        metaUserId: '111',
      });
      expect(await people.unlink('UBOB', 'UADMIN')).toEqual({ kind: 'fixed', slackId: 'UBOB', metaUserId: '222' });
      expect(await people.link('UCARA', '222', 'UADMIN')).toEqual({
        kind: 'fixed',
        email: 'bob@example.com',
        metaUserId: '222',
      });
      expect(await people.metaIdOf('UCARA')).toBeUndefined();
    });

    it('follows a reloaded file at once', async () => {
      fixed = { bySlackId: new Map([['UALICE', '111']]), byEmail: new Map() };
      const people = withFile();
      fixed = { bySlackId: new Map([['UALICE', '444']]), byEmail: new Map() };
      expect(await people.metaIdOf('UALICE')).toBe('444');
    });
  });
});
