import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../sandbox/slack/workspace.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ALICE_IN_SLACK,
  ANN,
  DAVE,
  defaultGraph,
  eventually,
  Harness,
  LEAD,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const rosterReads = () =>
  h.graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith(`${WABA_ID}/assigned_users`)).length;

/** The ephemeral messages a person sees in the team channel, newest last. */
const ephemeralsOf = (userId: string) =>
  h.slack.workspace.visibleIn(TEAM_CHANNEL, userId).filter((message) => message.visibleTo === userId);

/** Types `/waba text` in the team channel and waits for the new ephemeral answer that `match` accepts. */
async function type(text: string, match: (message: SlackMessage) => boolean, userId = LEAD): Promise<SlackMessage> {
  const before = new Set(ephemeralsOf(userId).map((message) => message.ts));
  await h.slack.link.command(userId, TEAM_CHANNEL, '/waba', text);
  return eventually(() => ephemeralsOf(userId).find((message) => !before.has(message.ts) && match(message)));
}

const isList = (message: SlackMessage) => visibleText(message).includes('Users on default');

/** Clicks a list's button and waits for the list, replaced in place, to differ from what it was. */
async function clickList(list: SlackMessage, actionId: string): Promise<SlackMessage> {
  const key = `${list.channel}:${list.ts}`;
  const updates = h.slack.workspace.ephemerals.get(key)!.updates;
  await h.slack.link.click(LEAD, key, actionId);
  return eventually(() => {
    const message = h.slack.workspace.ephemerals.get(key)!;
    return message.updates > updates && message;
  });
}

describe('/waba list', () => {
  it('shows someone added in Business Manager after the list was read only once Refresh reads Meta again', async () => {
    h = await Harness.start();
    const first = await type('list', isList);
    expect(visibleText(first)).toContain('Alice Example');
    expect(visibleText(first)).toMatch(/read from Meta <!date\^\d+\^\{date_short_pretty\} at \{time\}\|/);
    expect(buttonsOf(first)).toEqual([ACTION.listRefresh]);
    expect(rosterReads()).toBe(1);

    h.graph.assign(WABA_ID, DAVE, ['MESSAGING']);
    // Within the cache's life a new list is the same read: Dave is not there yet.
    const again = await type('list', isList);
    expect(visibleText(again)).not.toContain('Dave Example');
    expect(rosterReads()).toBe(1);

    const refreshed = await clickList(again, ACTION.listRefresh);
    expect(visibleText(refreshed)).toContain('Dave Example');
    expect(visibleText(refreshed)).toContain('All 2 users');
    expect(rosterReads()).toBe(2);
  });

  it('shows the bot’s own change at once: its write patched the cached read, so no new read is needed', async () => {
    h = await Harness.start();
    expect(visibleText(await type('list', isList))).not.toContain(DAVE);
    await h.command(`grant ${DAVE} MESSAGING because on call`);
    await h.click(await eventually(() => h.approvalMessages()[0]), ACTION.approve, ANN);
    await eventually(() => h.graph.writes().length === 1);
    // Dave was on no roster the bot read, so Meta's name and type for him are not known yet; his id and tasks are,
    // and nothing stands in for what is not known.
    const after = await type('list', (message) => isList(message) && visibleText(message).includes(DAVE));
    expect(visibleText(after)).toContain(`_Unnamed_ \`${DAVE}\` · \`MESSAGING\``);
    expect(visibleText(after)).toContain('All 2 users');
    expect(rosterReads()).toBe(1);
  });

  it('pages through a 250-user roster with Show more, replacing the list in place, with no further Graph call', async () => {
    const graph = defaultGraph();
    for (let i = 0; i < 249; i++) {
      const id = String(400_000_000_000_000 + i);
      graph.addUser({ id, name: `Agent ${String(i).padStart(3, '0')}`, user_type: 'BUSINESS_USER' });
      graph.assign(WABA_ID, id, i % 2 === 0 ? ['MESSAGING'] : ['VIEW_TEMPLATES']);
    }
    h = await Harness.start({ graph });
    let list = await type('list', isList);
    expect(visibleText(list)).toContain('1–25 of 250 users');
    const readsAfterList = rosterReads();
    expect(readsAfterList).toBe(3); // 250 users, 100 a page

    const names = new Set<string>();
    const collect = (message: SlackMessage) => {
      for (const match of visibleText(message).matchAll(/\*(Agent \d{3}|Alice Example)\*/g)) names.add(match[1]!);
    };
    collect(list);
    let pages = 1;
    while (buttonsOf(list).includes(ACTION.listMore)) {
      list = await clickList(list, ACTION.listMore);
      collect(list);
      pages++;
    }
    expect(pages).toBe(10);
    expect(visibleText(list)).toContain('226–250 of 250 users');
    expect(names.size).toBe(250);
    expect(rosterReads()).toBe(readsAfterList);
    // Every page was the same message, replaced in place.
    expect(ephemeralsOf(LEAD).filter(isList)).toHaveLength(1);
  });

  it('answers forged or stale list buttons with what to do, and calls nobody', async () => {
    h = await Harness.start();
    const message = { channel: TEAM_CHANNEL, ts: '1.000001', blocks: [], updates: 0 };
    for (const value of ['{"a":"support","o":-5}', 'x'.repeat(3_000), '{"a":"gone"}']) {
      const click = await h.click(message, ACTION.listMore, LEAD, value);
      expect(click.status).toBe(200);
      const [reply] = await eventually(() => h.responses(click.responseId).length > 0 && h.responses(click.responseId));
      expect(reply).toMatchObject({ replace_original: false });
      expect(visibleText(reply as object)).toMatch(/`\/waba list` again|no account called `gone`/);
    }
    expect(h.graph.calls).toEqual([]);
  });

  it('filters by task, by person, and by text, with `on <account>`', async () => {
    h = await Harness.start();
    h.graph.assign(WABA_ID, DAVE, ['MESSAGING', 'VIEW_TEMPLATES']);
    const messaging = await type('list MESSAGING on default', isList);
    expect(visibleText(messaging)).toContain('Dave Example');
    expect(visibleText(messaging)).not.toContain('Alice Example');
    expect(visibleText(messaging)).toContain('All 1 user holding `MESSAGING` (2 on the account)');

    const byText = await type('list alice', isList);
    expect(visibleText(byText)).toContain('Alice Example');
    expect(visibleText(byText)).not.toContain('Dave Example');

    await h.slack.link.command(ANN, TEAM_CHANNEL, '/waba', `link <@${ALICE_IN_SLACK}> ${ALICE}`);
    await eventually(() => ephemeralsOf(ANN).some((message) => visibleText(message).includes('is now Meta')));
    const byPerson = await type(`list <@${ALICE_IN_SLACK}|alice>`, isList);
    expect(visibleText(byPerson)).toContain(`who are <@${ALICE_IN_SLACK}>`);
    expect(visibleText(byPerson)).toContain('Alice Example');
    expect(visibleText(byPerson)).not.toContain('Dave Example');

    const nobody = await type('list FULL_CONTROL', isList);
    expect(visibleText(nobody)).toContain('No one on *default* is a user holding `FULL_CONTROL`');
    expect(rosterReads()).toBe(1);
  });
});

describe('Meta’s budget and the per-person command limit', () => {
  it('shows the budget Meta reported in /waba status, and a Refresh while calls are held shows the last read', async () => {
    const graph = defaultGraph();
    graph.extraHeaders = {
      'x-business-use-case-usage': JSON.stringify({
        [WABA_ID]: [{ type: 'whatsapp_business_management', call_count: 95, total_cputime: 3, total_time: 4 }],
      }),
      'x-app-usage': JSON.stringify({ call_count: 12, total_cputime: 1, total_time: 2 }),
    };
    h = await Harness.start({ graph });
    const before = await type('status', (message) => visibleText(message).includes('Meta budget'));
    expect(visibleText(before)).toContain('Meta budget: not reported yet');

    const list = await type('list', isList);
    const accounts = await type('accounts', (message) => visibleText(message).includes('Meta budget used'));
    const text = visibleText(accounts);
    expect(text).toMatch(/95 % for whatsapp_business_management \(<!date\^\d+\^/);
    expect(text).toContain('12 % for the app as a whole');
    expect(text).toMatch(/calls held until <!date\^\d+\^/);

    h.graph.assign(WABA_ID, DAVE, ['MESSAGING']);
    const refreshed = await clickList(list, ACTION.listRefresh);
    expect(visibleText(refreshed)).toContain('Meta asked the bot to slow down');
    expect(visibleText(refreshed)).not.toContain('Dave Example');
    expect(rosterReads()).toBe(1);
  });

  it('lets one person send 20 commands that cost Graph calls a minute unless told otherwise, and answers the 21st', async () => {
    h = await Harness.start();
    for (let sent = 0; sent < 20; sent += 1)
      expect(await h.answer(`accounts ${DAVE}`)).toContain('WhatsApp Business Account');
    const calls = h.graph.calls.length;
    expect(await h.answer(`accounts ${DAVE}`)).toMatch(
      /You’ve sent 20 commands in the last minute; try again in \d+ s\./,
    );
    expect(h.graph.calls.length).toBe(calls);
  });

  it('answers a person over COMMANDS_PER_MINUTE at once and spends nothing; free commands and others still work', async () => {
    h = await Harness.start({ env: { COMMANDS_PER_MINUTE: '2' } });
    const list = await type('list', isList); // reads Meta: 1
    await type('list', isList); // from the cache: free
    await type(`accounts ${DAVE}`, (message) => visibleText(message).includes('WhatsApp Business Account')); // 2
    const callsBefore = h.graph.calls.length;

    const refused = await type(`grant ${DAVE} MESSAGING`, (message) => visibleText(message).includes('You’ve sent'));
    expect(visibleText(refused)).toMatch(/You’ve sent 2 commands in the last minute; try again in \d+ s\./);
    await h.slack.link.click(LEAD, `${list.channel}:${list.ts}`, ACTION.listRefresh);
    await eventually(
      () => ephemeralsOf(LEAD).filter((message) => visibleText(message).includes('You’ve sent')).length === 2,
    );
    // The request form counts too, and stays open with the answer next to the field.
    const form = await h.submitView(VIEW.compose, LEAD, JSON.stringify({ channelId: TEAM_CHANNEL }), {
      user: { user: { type: 'plain_text_input', value: DAVE } },
      tasks: { tasks: { type: 'multi_static_select', selected_options: [{ value: 'MESSAGING' }] } },
    });
    expect(form.json).toMatchObject({
      response_action: 'errors',
      errors: { user: expect.stringMatching(/You’ve sent 2 requests in the last minute; submit again in \d+ s\./) },
    });
    expect(h.graph.calls.length).toBe(callsBefore);
    expect(h.approvalMessages()).toEqual([]);

    await type('help', (message) => visibleText(message).includes('Ask for access'));
    await type('requests', (message) => !visibleText(message).includes('You’ve sent'));
    await type(`accounts ${DAVE}`, (message) => visibleText(message).includes('WhatsApp Business Account'), ANN);
  });
});
