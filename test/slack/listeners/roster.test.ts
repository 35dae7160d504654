import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGraph, graphError } from '../../../sandbox/fake-graph.js';
import { GraphClient } from '../../../src/graph/client.js';
import { CommandLimit } from '../../../src/slack/command-limit.js';
import { ACTION } from '../../../src/slack/ids.js';
import { encodeListState } from '../../../src/slack/list-state.js';
import { listMoreButton, listRefreshButton } from '../../../src/slack/listeners/roster.js';
import { visibleText } from '../../support/message-text.js';
import { oneAccount, smallGraph, WABA } from '../../support/service-fixture.js';
import { argOf, buttonArgs, type Kit, type KitOptions, kit } from './handler-args.js';

let graph: FakeGraph;

beforeEach(async () => {
  graph = smallGraph();
  await graph.start();
});

afterEach(async () => {
  await graph.stop();
});

/** Handler fakes whose account reads the fake Graph. */
function rosterKit(options: KitOptions = {}): Kit {
  const client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { maxAttempts: 1 } });
  return kit({ accounts: oneAccount(client), ...options });
}

const rosterReads = () =>
  graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith(`${WABA}/assigned_users`)).length;

const LIST = encodeListState({ alias: 'default' });

describe('Refresh and Show more on a list', () => {
  it('acks first, reads Meta afresh, and replaces the list in place', async () => {
    const k = rosterKit();
    await listRefreshButton(k.deps)(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral' }));
    expect(k.calls).toEqual(['ack', 'respond']);
    expect(rosterReads()).toBe(1);
    const page = argOf(k.respond);
    expect(page).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(visibleText(page as { text: string })).toContain('Alice');
  });

  it('pages Show more through the read already made', async () => {
    const k = rosterKit();
    const refresh = listRefreshButton(k.deps);
    await refresh(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral' }));
    await listMoreButton(k.deps)(buttonArgs(k, { actionId: ACTION.listMore, value: LIST, on: 'ephemeral' }));
    expect(rosterReads()).toBe(1);
    expect(argOf(k.respond, 1)).toMatchObject({ replace_original: true });
  });

  it('answers a button it can no longer read privately, beside the list, without asking Meta', async () => {
    const k = rosterKit();
    await listMoreButton(k.deps)(buttonArgs(k, { actionId: ACTION.listMore, value: '{"a":', on: 'ephemeral' }));
    expect(k.calls).toEqual(['ack', 'respond']);
    expect(argOf(k.respond)).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(visibleText(argOf(k.respond) as { text: string })).toContain('a list I can no longer read');
    expect(rosterReads()).toBe(0);
  });

  it('names the account when the list’s account is no longer configured', async () => {
    const k = rosterKit();
    const gone = encodeListState({ alias: 'sales' });
    await listRefreshButton(k.deps)(buttonArgs(k, { actionId: ACTION.listRefresh, value: gone, on: 'ephemeral' }));
    expect(visibleText(argOf(k.respond) as { text: string })).toContain('sales');
    expect(rosterReads()).toBe(0);
  });

  it('counts Refresh against the clicker’s limit, and over it says so without reading Meta', async () => {
    const k = rosterKit({ commandLimit: new CommandLimit(1) });
    const refresh = listRefreshButton(k.deps);
    await refresh(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral', userId: 'ULEAD' }));
    await refresh(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral', userId: 'ULEAD' }));
    expect(rosterReads()).toBe(1);
    expect(argOf(k.respond, 1)).toMatchObject({ replace_original: false });
    expect(visibleText(argOf(k.respond, 1) as { text: string })).toContain('in the last minute');
    // Someone else has a limit of their own.
    await refresh(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral', userId: 'UANN' }));
    expect(rosterReads()).toBe(2);
  });

  it('says Meta could not answer, beside the list, when the read fails', async () => {
    const k = rosterKit();
    graph.queueFault({ status: 400, body: graphError(200, 'Permissions error') });
    await listRefreshButton(k.deps)(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral' }));
    expect(argOf(k.respond)).toMatchObject({ replace_original: false });
    expect(visibleText(argOf(k.respond) as { text: string })).toContain('Meta could not answer');
    expect(k.logger.warn).toHaveBeenCalled();
  });

  it('never throws when the answer cannot be delivered', async () => {
    const k = rosterKit();
    k.respond.mockRejectedValueOnce(new Error('response_url expired'));
    await expect(
      listRefreshButton(k.deps)(buttonArgs(k, { actionId: ACTION.listRefresh, value: LIST, on: 'ephemeral' })),
    ).resolves.toBeUndefined();
    expect(k.logger.warn).toHaveBeenCalledWith('list button answer not delivered', expect.any(Error));
  });
});
