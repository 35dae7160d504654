import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { blockActionBody, sendSigned, slashCommandBody } from '../../sandbox/slack/requests.js';
import { ACTION } from '../../src/slack/ids.js';
import { ensureBuilt } from '../support/bot-process.js';
import { Cluster, requestIdOf } from '../support/cluster.js';
import { eventually, SIGNING_SECRET, WABA_ID } from '../support/harness.js';
import { visibleText } from '../support/message-text.js';

/**
 * The trust promises, against the built bot as `npm start` runs it (dist/, the 96 MB heap cap), on a WABA of 500
 * people: a person linked to the request's Meta user cannot approve it, typed text reaches approvers inert, filing
 * and approving cost one read of the person and one write, and a refusal rests on what Meta says now.
 */
const people = Array.from({ length: 500 }, (_, i) => String(700_000_000_000_000 + i));
const [target, addedLater] = [people[0]!, people[1]!];
let cluster: Cluster;
let url: string;
let sent = 0;

beforeAll(async () => {
  const built = await ensureBuilt();
  cluster = new Cluster(people, {
    STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-built-')), 's.sqlite')}`,
  });
  for (const id of people.slice(2)) cluster.graph.assign(WABA_ID, id, ['MESSAGING']);
  await cluster.start();
  url = `${(await cluster.startBot('bot', undefined, built)).url}/slack/events`;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Sends `/waba text` as `userId`; resolves to the text of its answer (in the ack or on the response URL). */
async function ask(text: string, userId = 'ULEAD'): Promise<string> {
  const id = `b${++sent}`;
  const body = slashCommandBody({ text, userId, channelId: 'CTEAM', responseUrl: cluster.slack.responseUrl(id) });
  const reply = await sendSigned(url, SIGNING_SECRET, body);
  if (reply.json?.blocks) return visibleText(reply.json);
  return visibleText(await eventually(() => cluster.slack.responses.find((r) => r.id === id)?.body));
}

async function click(message: SlackMessage, userId: string): Promise<string> {
  const id = `b${++sent}`;
  const body = blockActionBody({
    actionId: ACTION.approve,
    value: requestIdOf(message),
    userId,
    channelId: message.channel,
    messageTs: message.ts,
    responseUrl: cluster.slack.responseUrl(id),
  });
  expect((await sendSigned(url, SIGNING_SECRET, body)).status).toBe(200);
  return visibleText(await eventually(() => cluster.slack.responses.find((r) => r.id === id)?.body ?? false));
}

const edgeOf = (from: number) => cluster.graph.calls.slice(from).map((c) => `${c.method} ${c.path.split('/').pop()}`);

describe('the built bot keeps its trust promises', () => {
  it('refuses the approver linked to the request’s Meta user, shows typed text inert, and spends one read and one write', async () => {
    expect(await ask(`link <@UBOB> ${target}`, 'UANN')).toContain(`is now Meta business user \`${target}\``);
    const before = cluster.graph.calls.length;
    const reply = await ask(`grant ${target} MESSAGING because <https://evil.example|Approve here> <!channel> & co`);
    expect(reply).toContain('sent it in');
    const approval = await eventually(() =>
      cluster.approvalMessages().find((m) => m.blocks.some((b) => b.type === 'header')),
    );
    expect(edgeOf(before)).toEqual(['GET assigned_whatsapp_business_accounts']);
    const shown = visibleText(approval);
    expect(shown).toContain('&lt;https://evil.example|Approve here&gt; &lt;!channel&gt; &amp; co');
    expect(shown).not.toContain('<!channel>');

    expect(await click(approval, 'UBOB')).toContain('This access is for you');
    const approving = cluster.graph.calls.length;
    await click(approval, 'UANN').catch(() => undefined);
    await eventually(() => cluster.graph.writes().length === 1);
    await eventually(() => edgeOf(approving).length === 2);
    expect(edgeOf(approving)).toEqual(['GET assigned_whatsapp_business_accounts', 'POST assigned_users']);
  });

  it('revokes someone added in Business Manager after the roster was read', async () => {
    expect(await ask('list')).toContain('of 499 users');
    cluster.graph.assign(WABA_ID, addedLater, ['MANAGE']);
    expect(await ask(`revoke ${addedLater} because left`)).toContain('sent it in');
  });
});
