import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { Accounts, accountPolicy, NO_PEOPLE } from '../../src/access/accounts.js';
import { GraphClient } from '../../src/graph/client.js';
import { SlackNotifier } from '../../src/slack/notifier.js';
import { pendingRequest } from '../support/requests.js';

const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9', accessToken: 't' });

describe('SlackNotifier with target origins', () => {
  it('posts the approval message without the origin when looking it up fails', async () => {
    const accounts = new Accounts(
      {
        accounts: [accountPolicy({ wabaId: '1', businessId: '9', approverIds: ['UANN'], approvalChannelId: 'CA' })],
        defaultAlias: 'default',
        adminIds: [],
        people: NO_PEOPLE,
      },
      { graph, groupMembers: async () => undefined },
    );
    const sent: unknown[] = [];
    const client = {
      chat: {
        postMessage: async (message: unknown) => {
          sent.push(message);
          return { ok: true, channel: 'CA', ts: '1.0' };
        },
      },
    } as unknown as webApi.WebClient;
    const warnings: string[] = [];
    const log = { warn: (_obj: object, msg: string) => void warnings.push(msg) };
    const notifier = new SlackNotifier(client, accounts, log, async () => {
      throw new Error('store unreachable');
    });
    expect(await notifier.announce(pendingRequest({ targetSlackId: 'UALICE' }))).toEqual([
      { channel: 'CA', ts: '1.0' },
    ]);
    expect(JSON.stringify(sent)).toContain('<@UALICE>');
    expect(JSON.stringify(sent)).not.toContain('Linked by');
    expect(warnings).toEqual(['could not find who linked the request’s user']);
  });
});
