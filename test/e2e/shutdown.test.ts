import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { RESTARTING_TEXT } from '../../src/slack/listeners/admission.js';
import { openStore } from '../../src/store/open-store.js';
import { ALICE, ANN, eventually, Harness, WABA_ID } from '../support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

describe('graceful shutdown', () => {
  it('turns /healthz unhealthy, refuses new work, finishes the approval under way, then closes', async () => {
    h = await Harness.start();
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    h.graph.latencyMs = 1_000;
    await h.click(approval!, ACTION.approve, ANN);
    // The approval is under way: Graph has the write, but has not answered yet.
    await eventually(() => h.graph.calls.some((call) => call.method === 'POST'));

    const healthUrl = h.eventsUrl.replace('/slack/events', '/healthz');
    const stopping = h.bot!.stop();
    expect((await fetch(healthUrl)).status).toBe(503);
    const refused = await h.command('list');
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ response_type: 'ephemeral', text: RESTARTING_TEXT });
    const click = await h.click(approval!, ACTION.deny, ANN);
    expect(JSON.stringify(await eventually(() => h.responses(click.responseId)[0]))).toContain('restarting');

    await stopping;
    expect(h.graph.writes()).toHaveLength(1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    await expect(fetch(healthUrl)).rejects.toThrow();

    const store = await openStore(String(h.env.STORE_URL), { namespace: h.env.STORE_NAMESPACE });
    const id =
      approval!.blocks
        .find((block) => block.type === 'actions')
        ?.block_id?.toString()
        .split(':')[1] ?? '';
    expect((await store.repository.get(id))?.state).toBe('succeeded');
    await store.close();
    // Nothing was started by the refused requests: the two reads are the filing's and the one before the write.
    expect(h.graph.calls.filter((call) => call.method === 'GET').length).toBe(2);
  });
});
