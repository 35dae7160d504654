import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
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
});
