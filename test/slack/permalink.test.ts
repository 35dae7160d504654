import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { channelPermalink } from '../../src/slack/permalink.js';

/** A client whose getPermalink answers for channel messages, or fails with `failure`. */
function client(failure?: Error) {
  const asked: Array<{ channel: string; message_ts: string }> = [];
  const chat = {
    getPermalink: async (args: { channel: string; message_ts: string }) => {
      asked.push(args);
      if (failure) throw failure;
      return { ok: true, permalink: `https://example.slack.com/archives/${args.channel}/p${args.message_ts}` };
    },
  };
  return { asked, client: { chat } as unknown as webApi.WebClient };
}

describe('a link to a message in a channel', () => {
  it('links the first message posted in a channel, never one in a DM', async () => {
    const { asked, client: slack } = client();
    const link = await channelPermalink(slack, [
      { channel: 'D0DM', ts: '1.1' },
      { channel: 'C0APPROVALS', ts: '2.2' },
      { channel: 'C0OTHER', ts: '3.3' },
    ]);
    expect(link).toBe('https://example.slack.com/archives/C0APPROVALS/p2.2');
    expect(asked).toEqual([{ channel: 'C0APPROVALS', message_ts: '2.2' }]);
  });

  it('asks Slack nothing when every message is in a DM', async () => {
    const { asked, client: slack } = client();
    expect(await channelPermalink(slack, [{ channel: 'D0DM', ts: '1.1' }])).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('does without the link when Slack gives none, and says why', async () => {
    const failure = new Error('channel_not_found');
    const { client: slack } = client(failure);
    const heard: unknown[] = [];
    const link = await channelPermalink(slack, [{ channel: 'C0GONE', ts: '1.1' }], (error) => heard.push(error));
    expect(link).toBeUndefined();
    expect(heard).toEqual([failure]);
  });
});
