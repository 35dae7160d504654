import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
import { approve, startExecution } from '../../src/access/request.js';
import { ACTION } from '../../src/slack/ids.js';
import { ALICE, ANN, BOB, DAVE, eventually, Harness, LEAD, WABA_ID } from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { storeAs } from '../support/requests.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** The Graph writes once every decision under way has finished (so a late second write would show). */
async function settledWrites() {
  await h.bot!.service.drain();
  return h.graph.writes();
}

function requestIdOf(message: { blocks: Array<Record<string, unknown>> }): string {
  const actions = message.blocks.find((block) => block.type === 'actions');
  return String(actions?.block_id).split(':')[1]!;
}

describe('durability', () => {
  it('keeps a pending request across a restart, and it can still be approved', async () => {
    h = await Harness.start();
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());

    // Stopping right after the approval message appears: the stop waits for the submission to be saved.
    await h.restartBot();
    await h.click(approval!, ACTION.approve, ANN);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE,MESSAGING');
    await eventually(() => h.approvalMessages()[0]!.updates > 0);
    expect(await settledWrites()).toMatchObject([{ method: 'POST', form: { user: ALICE } }]);
  });

  it('finishes, at start, a request that was approved when the process stopped', async () => {
    h = await Harness.start();
    await h.command(`grant ${DAVE} MESSAGING`);
    await h.command(`revoke ${ALICE}`);
    const [grant, revoke] = await eventually(() => h.approvalMessages().length === 2 && h.approvalMessages());
    await h.bot!.stop();

    // What a crash leaves behind: one request claimed (executing), one approved but not yet claimed.
    const store = (await import('../../src/store/open-store.js')).openStore;
    const crashed = await store(String(h.env.STORE_URL), { namespace: h.env.STORE_NAMESPACE });
    const repository = crashed.repository;
    const now = new Date();
    const grantRequest = (await repository.get(requestIdOf(grant!)))!;
    await storeAs(repository, startExecution(approve(grantRequest, ANN, now), now, 60 * 60_000));
    const revokeRequest = (await repository.get(requestIdOf(revoke!)))!;
    await storeAs(repository, approve(revokeRequest, BOB, now));
    await crashed.close();

    await h.startBot();
    await eventually(() => h.graph.tasksOf(WABA_ID, DAVE)?.join() === 'MESSAGING');
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE) === undefined);
    const states = await Promise.all([requestIdOf(grant!), requestIdOf(revoke!)].map((id) => h.bot!.service.get(id)));
    expect(states.map((request) => request?.state)).toEqual(['succeeded', 'succeeded']);
    expect(await h.bot!.store.repository.openIds()).toEqual([]);
    await eventually(() => h.approvalMessages().every((message) => message.updates > 0));
    // Each request carried out once: the claimed one is not sent again on top of the recovery.
    const writes = await settledWrites();
    expect(writes.map((call) => [call.method, call.form.user ?? call.query.user]).sort()).toEqual([
      ['DELETE', ALICE],
      ['POST', DAVE],
    ]);
  });

  it('expires a pending request, updates the message and tells the requester', async () => {
    h = await Harness.start({ env: { REQUEST_TTL: '1s' }, sweepIntervalMs: 100 });
    await h.command(`grant ${ALICE} MESSAGING`);
    const [pending] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    const requestId = requestIdOf(pending!);

    const updated = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    expect(visibleText(updated)).toContain('Expired');
    expect(buttonsOf(updated)).toEqual([]);
    const dm = await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`)[0]);
    expect(visibleText(dm)).toContain('Expired');

    // A click that was on its way when the request expired changes nothing.
    const late = await h.click(pending!, ACTION.approve, ANN, requestId);
    expect(visibleText(await eventually(() => h.responses(late.responseId)[0]))).toContain('Expired');
    expect(h.graph.writes()).toEqual([]);
  });
});

describe('Graph trouble', () => {
  it('retries a Graph 5xx and then succeeds', async () => {
    h = await Harness.start();
    h.graph.queueFault({
      status: 500,
      body: graphError(2, 'An unexpected error has occurred', 'OAuthException', undefined, { is_transient: true }),
      match: ({ method }) => method === 'POST',
    });
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    await h.click(approval!, ACTION.approve, ANN);
    const updated = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    expect(visibleText(updated)).toContain('✅');
    expect(h.graph.calls.filter((call) => call.method === 'POST').map((call) => call.status)).toEqual([500, 200]);
    expect(await settledWrites()).toHaveLength(1);
  });

  it('surfaces a token error as a configuration problem with Meta’s trace id, and Retry finishes the job', async () => {
    h = await Harness.start();
    h.graph.queueFault({
      status: 401,
      body: graphError(190, 'Error validating access token: Session has expired', 'OAuthException', 463),
      match: ({ method }) => method === 'POST',
    });
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    await h.click(approval!, ACTION.approve, ANN);
    const failed = await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.approvalMessages()[0]);
    const text = visibleText(failed);
    expect(text).toContain('Session has expired');
    expect(text).toContain('code 190/463');
    expect(text).toContain('Fake190Trace');
    expect(text).toContain('configuration problem');
    expect(buttonsOf(failed)).toEqual([ACTION.retry]);
    expect(visibleText(await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`)[0]))).toContain(
      'configuration problem',
    );

    // The requester may not retry their own request; an approver may.
    const own = await h.click(failed, ACTION.retry, LEAD);
    expect(visibleText(await eventually(() => h.responses(own.responseId)[0]))).toContain('someone else has to decide');
    await h.click(failed, ACTION.retry, BOB);
    await eventually(() => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE,MESSAGING');
    const done = await eventually(() => {
      const message = h.approvalMessages()[0]!;
      return message.updates > 1 && message;
    });
    expect(visibleText(done)).toContain('✅');
    expect(await settledWrites()).toHaveLength(1);
  });

  it('acknowledges commands and clicks before a slow Graph answers', async () => {
    h = await Harness.start();
    h.graph.latencyMs = 1_500;
    const list = await h.command('list');
    expect(list.status).toBe(200);
    // The ack came back while Graph was still working on the roster: no call answered, no reply yet.
    expect(h.graph.calls.every((call) => call.status === 0)).toBe(true);
    expect(h.responses(list.responseId)).toEqual([]);
    await eventually(() => h.responses(list.responseId)[0], 10_000);

    h.graph.latencyMs = 0;
    await h.command(`grant ${ALICE} MESSAGING`);
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    h.graph.latencyMs = 1_500;
    const click = await h.click(approval!, ACTION.approve, ANN);
    expect(click.status).toBe(200);
    expect(h.graph.writes()).toEqual([]);
    await eventually(() => h.graph.writes().length === 1, 10_000);
    await eventually(() => h.approvalMessages()[0]!.updates > 0, 10_000);
    expect(await settledWrites()).toHaveLength(1);
  });
});
