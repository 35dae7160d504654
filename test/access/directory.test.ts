import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import type { PolicyPeople } from '../../src/access/accounts.js';
import { Directory, type DirectoryDeps, type LinkChange } from '../../src/access/directory.js';
import { KeyvDirectoryStore } from '../../src/store/directory.js';

function directory(known = ['111', '222'], more: Partial<DirectoryDeps> = {}) {
  return new Directory({
    store: new KeyvDirectoryStore(new Keyv()),
    isAdmin: async (slackId) => slackId === 'UADMIN' || slackId === 'UADMIN2',
    admins: () => ['UADMIN', 'UADMIN2'],
    metaUserExists: async (id) => known.includes(id),
    clock: { now: () => new Date('2026-03-01T09:00:00Z') },
    ...more,
  });
}

const AT = '2026-03-01T09:00:00.000Z';

describe('Directory', () => {
  it('links both ways, and moves a Meta user to the person linked last', async () => {
    const people = directory();
    expect(await people.link('UALICE', '111', 'UADMIN')).toEqual({
      kind: 'linked',
      by: 'UADMIN',
      link: { slackId: 'UALICE', metaUserId: '111', by: 'UADMIN', at: AT },
    });
    expect(await people.metaIdOf('UALICE')).toBe('111');
    expect(await people.slackIdOf('111')).toBe('UALICE');

    expect(await people.link('UBOB', '111', 'UADMIN')).toMatchObject({ displaced: { slackId: 'UALICE' } });
    expect(await people.metaIdOf('UALICE')).toBeUndefined();
    expect(await people.slackIdOf('111')).toBe('UBOB');

    expect(await people.link('UBOB', '222', 'UADMIN')).toMatchObject({ previous: { metaUserId: '111' } });
    expect(await people.slackIdOf('111')).toBeUndefined();
    expect(await people.slackIdOf('222')).toBe('UBOB');
  });

  it('lets only admins change links, and never links an id Meta does not know', async () => {
    const people = directory();
    expect(await people.link('UALICE', '111', 'UALICE')).toEqual({
      kind: 'forbidden',
      reason: 'not-admin',
      admins: ['UADMIN', 'UADMIN2'],
    });
    expect(await people.link('UALICE', '999', 'UADMIN')).toEqual({ kind: 'unknown-meta-user', metaUserId: '999' });
    expect(await people.metaIdOf('UALICE')).toBeUndefined();
    await people.link('UALICE', '111', 'UADMIN');
    expect(await people.unlink('UALICE', 'UBOB')).toMatchObject({ kind: 'forbidden', reason: 'not-admin' });
    expect(await people.unlink('UALICE', 'UADMIN')).toMatchObject({ kind: 'unlinked' });
    expect(await people.unlink('UALICE', 'UADMIN')).toEqual({ kind: 'not-linked', slackId: 'UALICE' });
    expect(await people.slackIdOf('111')).toBeUndefined();
  });

  it('keeps admins off their own links: not themselves, nor their own Meta user for someone else', async () => {
    const people = directory(['111', '222']);
    await people.link('UADMIN', '111', 'UADMIN2');
    expect(await people.link('UADMIN', '222', 'UADMIN')).toEqual({
      kind: 'forbidden',
      reason: 'self',
      admins: ['UADMIN2'],
    });
    expect(await people.unlink('UADMIN', 'UADMIN')).toMatchObject({ reason: 'self', admins: ['UADMIN2'] });
    // Requests for Bob would otherwise give the admin access.
    expect(await people.link('UBOB', '111', 'UADMIN')).toEqual({
      kind: 'forbidden',
      reason: 'own-meta-user',
      admins: ['UADMIN2'],
    });
    expect(await people.metaIdOf('UADMIN')).toBe('111');
    expect(await people.metaIdOf('UBOB')).toBeUndefined();
    expect(await people.history({ slackId: 'UBOB' })).toEqual([]);
    expect(await people.link('UBOB', '111', 'UADMIN2')).toMatchObject({ kind: 'linked' });
  });

  describe('audit trail', () => {
    function recorded() {
      const logs: Array<{ obj: object; msg: string; level: string }> = [];
      const changes: LinkChange[] = [];
      const logger = {
        info: (obj: object, msg: string) => void logs.push({ obj, msg, level: 'info' }),
        warn: (obj: object, msg: string) => void logs.push({ obj, msg, level: 'warn' }),
      };
      return { logs, changes, logger };
    }

    it('records every change, with who, when, before and after, by person and by Meta user, and logs it', async () => {
      const { logs, changes, logger } = recorded();
      const people = directory(['111', '222'], {
        logger,
        notifier: { linkChanged: async (change) => void changes.push(change) },
      });
      await people.link('UALICE', '111', 'UADMIN', '/waba link');
      await people.link('UALICE', '222', 'UADMIN2', '/waba link');
      await people.link('UBOB', '222', 'UADMIN', '/waba link');
      await people.unlink('UBOB', 'UADMIN2', '/waba unlink');
      await people.unlink('UBOB', 'UADMIN2', '/waba unlink');

      const alice = await people.history({ slackId: 'UALICE' });
      expect(alice).toEqual([
        { at: AT, actor: 'UADMIN', event: 'linked', slackId: 'UALICE', after: '111', via: '/waba link' },
        {
          at: AT,
          actor: 'UADMIN2',
          event: 'linked',
          slackId: 'UALICE',
          before: '111',
          after: '222',
          via: '/waba link',
        },
        {
          at: AT,
          actor: 'UADMIN',
          event: 'unlinked',
          slackId: 'UALICE',
          before: '222',
          via: '/waba link',
          movedTo: 'UBOB',
        },
      ]);
      expect(await people.history({ slackId: 'UBOB' })).toEqual([
        { at: AT, actor: 'UADMIN', event: 'linked', slackId: 'UBOB', after: '222', via: '/waba link' },
        { at: AT, actor: 'UADMIN2', event: 'unlinked', slackId: 'UBOB', before: '222', via: '/waba unlink' },
      ]);
      // A Meta user's history names everyone it was linked to or from.
      expect((await people.history({ metaUserId: '222' })).map((entry) => [entry.event, entry.slackId])).toEqual([
        ['linked', 'UALICE'],
        ['linked', 'UBOB'],
        ['unlinked', 'UALICE'],
        ['unlinked', 'UBOB'],
      ]);
      expect(await people.history({ metaUserId: '111' })).toHaveLength(2);

      expect(logs.filter((log) => log.level === 'info').map((log) => log.obj)).toEqual(
        [...alice.slice(0, 2), ...(await people.history({ metaUserId: '222' })).slice(1)].map((audit) => ({ audit })),
      );
      expect(changes.map((change) => [change.kind, change.by, change.link.slackId])).toEqual([
        ['linked', 'UADMIN', 'UALICE'],
        ['linked', 'UADMIN2', 'UALICE'],
        ['linked', 'UADMIN', 'UBOB'],
        ['unlinked', 'UADMIN2', 'UBOB'],
      ]);
      expect(changes[1]).toMatchObject({ previous: { metaUserId: '111' } });
      expect(changes[2]).toMatchObject({ displaced: { slackId: 'UALICE', metaUserId: '222' } });
    });

    it('records nothing for refused changes', async () => {
      const people = directory();
      await people.link('UALICE', '111', 'USTRANGER');
      await people.link('UALICE', '999', 'UADMIN');
      await people.unlink('UALICE', 'UADMIN');
      expect(await people.history({ slackId: 'UALICE' })).toEqual([]);
    });

    it('keeps the change and answers normally when announcing it fails', async () => {
      const { logs, logger } = recorded();
      const people = directory(['111'], {
        logger,
        notifier: {
          linkChanged: async () => {
            throw new Error('slack is down');
          },
        },
      });
      expect(await people.link('UALICE', '111', 'UADMIN')).toMatchObject({ kind: 'linked' });
      expect(await people.metaIdOf('UALICE')).toBe('111');
      expect(await people.history({ slackId: 'UALICE' })).toHaveLength(1);
      expect(logs.at(-1)).toMatchObject({ level: 'warn', msg: 'could not announce a link change' });
      expect(await people.unlink('UALICE', 'UADMIN')).toMatchObject({ kind: 'unlinked' });
      expect(await people.metaIdOf('UALICE')).toBeUndefined();
    });
  });

  it('says where a request’s pairing of person and Meta user comes from', async () => {
    const people = new Directory({
      store: new KeyvDirectoryStore(new Keyv()),
      isAdmin: async () => true,
      metaUserExists: async () => true,
      fixed: () => ({ bySlackId: new Map([['UMAYA', '555']]), byEmail: new Map([['zoe@example.com', '666']]) }),
      clock: { now: () => new Date(AT) },
    });
    await people.link('UALICE', '111', 'UADMIN');
    expect(await people.originOf('111', 'UALICE')).toEqual({ kind: 'linked', by: 'UADMIN', at: AT });
    expect(await people.originOf('555', 'UMAYA')).toEqual({ kind: 'listed' });
    expect(await people.originOf('666', 'UZOE')).toEqual({ kind: 'listed' });
    expect(await people.originOf('111', undefined)).toBeUndefined();
    await people.link('UALICE', '222', 'UADMIN');
    expect(await people.originOf('111', 'UALICE')).toEqual({ kind: 'no-longer-linked', slackId: 'UALICE' });
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
