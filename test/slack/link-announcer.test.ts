import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { Accounts, accountPolicy, NO_PEOPLE } from '../../src/access/accounts.js';
import { GraphClient } from '../../src/graph/client.js';
import { LinkAnnouncer } from '../../src/slack/link-announcer.js';

const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't' });
const link = { slackId: 'UALICE', metaUserId: '300', by: 'UANN', at: '2026-03-01T09:00:00.000Z' };

/** A Web API client that records posts and fails the channels it is told to. */
function slack(failing: string[] = []) {
  const posted: string[] = [];
  const client = {
    chat: {
      postMessage: async ({ channel }: { channel: string }) => {
        if (failing.includes(channel)) throw new Error('not_in_channel');
        posted.push(channel);
        return { ok: true, channel, ts: '1.0' };
      },
    },
  } as unknown as webApi.WebClient;
  return { client, posted };
}

function logger() {
  const warnings: Array<{ obj: object; msg: string }> = [];
  return { warnings, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
}

describe('LinkAnnouncer', () => {
  const accounts = new Accounts(
    {
      accounts: [
        accountPolicy({ alias: 'a', wabaId: '1', businessId: '9', approverIds: ['UANN'], approvalChannelId: 'CA' }),
        accountPolicy({ alias: 'b', wabaId: '2', businessId: '9', approverIds: ['UBOB'], approvalChannelId: 'CA' }),
        accountPolicy({ alias: 'c', wabaId: '3', businessId: '9', approverIds: ['UANN', 'UBOB', 'SOPS'] }),
        accountPolicy({ alias: 'd', wabaId: '4', businessId: '9', approverIds: ['UCARA', 'SBROKEN'] }),
      ],
      defaultAlias: 'a',
      adminIds: ['UANN'],
      people: NO_PEOPLE,
    },
    {
      graph,
      groupMembers: async (id) => {
        if (id === 'SBROKEN') throw new Error('usergroups.users.list failed');
        return id.startsWith('S') ? ['UCARA', 'UDAN'] : undefined;
      },
    },
  );

  it('posts once per approval channel and once per approver of accounts without one, never to the admin', async () => {
    const { client, posted } = slack();
    const log = logger();
    await new LinkAnnouncer(client, accounts, log).linkChanged({ kind: 'linked', by: 'UANN', link });
    // The shared channel once; UBOB and the group's members by DM; account d's group could not be read.
    expect(posted.sort()).toEqual(['CA', 'UBOB', 'UCARA', 'UDAN']);
    expect(log.warnings).toEqual([
      { obj: expect.objectContaining({ account: 'd' }), msg: 'could not find the approvers to tell of a link change' },
    ]);
  });

  it('logs the posts Slack refuses and still makes the others, without throwing', async () => {
    const { client, posted } = slack(['CA']);
    const log = logger();
    await expect(
      new LinkAnnouncer(client, accounts, log).linkChanged({ kind: 'unlinked', by: 'UANN', link }),
    ).resolves.toBeUndefined();
    expect(posted).toContain('UBOB');
    expect(log.warnings).toContainEqual({
      obj: expect.objectContaining({ channel: 'CA', slackId: 'UALICE' }),
      msg: 'could not announce a link change',
    });
  });
});
