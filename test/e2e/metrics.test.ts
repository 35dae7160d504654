import { afterEach, describe, expect, it } from 'vitest';
import { sendSigned } from '../../sandbox/slack/requests.js';
import { ACTION } from '../../src/slack/ids.js';
import {
  ANN,
  DAVE,
  defaultGraph,
  eventually,
  Harness,
  LEAD,
  SIGNING_SECRET,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { metricValue, parseMetrics, type Sample } from '../support/metrics.js';

let h: Harness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const url = (path: string) => h!.eventsUrl.replace('/slack/events', path);

async function scrape(headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(url('/metrics'), { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

function usageHeaders(percent: number): Record<string, string> {
  return {
    'x-business-use-case-usage': JSON.stringify({
      [WABA_ID]: [{ type: 'whatsapp_business_management', call_count: percent, total_cputime: 1, total_time: 1 }],
    }),
    'x-app-usage': JSON.stringify({ call_count: 12, total_cputime: 1, total_time: 2 }),
  };
}

const account = { account: 'default', waba_id: WABA_ID };

describe('GET /metrics', () => {
  it('counts a request from the command to Graph, and a scrape costs no Graph call', async () => {
    const graph = defaultGraph();
    graph.extraHeaders = usageHeaders(42);
    h = await Harness.start({ graph });
    const before = await scrape();
    // Every state is there from the start, at 0, so a rate over the first request is right.
    expect(metricValue(before, 'waba_access_requests_total', { state: 'succeeded' })).toBe(0);
    expect(metricValue(before, 'waba_access_open_requests')).toBe(0);
    expect(metricValue(before, 'waba_access_live_grants')).toBe(0);
    // The sweep ran once at start.
    expect(
      metricValue(before, 'waba_access_sweep_duration_seconds_count', { sweep: 'recover' }),
    ).toBeGreaterThanOrEqual(1);

    await h.command(`grant ${DAVE} MESSAGING for 4h`);
    const [approval] = await eventually(() => h!.approvalMessages().length === 1 && h!.approvalMessages());
    const filed = await scrape();
    expect(metricValue(filed, 'waba_access_requests_total', { state: 'pending' })).toBe(1);
    expect(metricValue(filed, 'waba_access_open_requests')).toBe(1);

    // The requester's own click is refused, and counted as such.
    await h.click(approval!, ACTION.approve, LEAD);
    await h.click(approval!, ACTION.approve, ANN);
    await eventually(() => h!.graph.writes().length === 1);
    const done = await eventually(async () => {
      const samples = await scrape();
      // The click's decision is counted once its work is over, a moment after the request succeeded.
      const decided = metricValue(samples, 'waba_access_decisions_total', { decision: 'approve', outcome: 'done' });
      return (
        metricValue(samples, 'waba_access_requests_total', { state: 'succeeded' }) === 1 && decided === 1 && samples
      );
    });

    expect(metricValue(done, 'waba_access_requests_total', { state: 'approved' })).toBe(1);
    expect(metricValue(done, 'waba_access_requests_total', { state: 'executing' })).toBe(1);
    expect(metricValue(done, 'waba_access_requests_total', { state: 'denied' })).toBe(0);
    expect(metricValue(done, 'waba_access_decisions_total', { decision: 'approve', outcome: 'forbidden' })).toBe(1);
    expect(metricValue(done, 'waba_access_decisions_total', { decision: 'approve', outcome: 'done' })).toBe(1);
    expect(metricValue(done, 'waba_access_open_requests')).toBe(0);
    expect(metricValue(done, 'waba_access_live_grants')).toBe(1);

    // Filing and approving each read the person's access once; approving wrote once.
    const calls = { edge: 'assigned_whatsapp_business_accounts', method: 'GET', error_code: 'none' };
    expect(metricValue(done, 'waba_access_graph_calls_total', calls)).toBe(2);
    expect(
      metricValue(done, 'waba_access_graph_calls_total', {
        edge: 'assigned_users',
        method: 'POST',
        error_code: 'none',
      }),
    ).toBe(1);
    expect(metricValue(done, 'waba_access_graph_calls_total')).toBe(h.graph.calls.length);
    expect(metricValue(done, 'waba_access_graph_call_duration_seconds_count', { method: 'POST' })).toBe(1);

    expect(metricValue(done, 'waba_access_ack_duration_seconds_count', { kind: 'command' })).toBe(1);
    expect(metricValue(done, 'waba_access_ack_duration_seconds_count', { kind: 'block_actions' })).toBe(2);
    // Every ack was well inside Slack's 3 s.
    expect(metricValue(done, 'waba_access_ack_duration_seconds_bucket', { kind: 'command', le: '3' })).toBe(1);

    expect(metricValue(done, 'waba_access_meta_usage_ratio', account)).toBe(0.42);
    expect(metricValue(done, 'waba_access_meta_app_usage_ratio')).toBe(0.12);
    expect(metricValue(done, 'waba_access_graph_calls_held', account)).toBe(0);

    // Node's own metrics, from the process serving the scrape.
    expect(metricValue(done, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(done.find((sample) => sample.name === 'nodejs_version_info')?.labels.version).toBe(process.version);
    // No label carries a person.
    for (const sample of done) expect(JSON.stringify(sample.labels)).not.toMatch(new RegExp(`${DAVE}|${ANN}|${LEAD}`));

    const callsBefore = h.graph.calls.length;
    await scrape();
    await scrape();
    expect(h.graph.calls.length).toBe(callsBefore);
  });

  it("counts Meta's error codes, and shows calls held once Meta's usage passes 90 %", async () => {
    h = await Harness.start();
    h.graph.queueFault({
      status: 400,
      body: { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'T' } },
      match: (call) => call.path.endsWith('/assigned_whatsapp_business_accounts'),
    });
    const refused = await h.command(`accounts ${DAVE}`);
    await eventually(() => h!.responses(refused.responseId)[0]);
    const failed = await scrape();
    expect(
      metricValue(failed, 'waba_access_graph_calls_total', {
        edge: 'assigned_whatsapp_business_accounts',
        error_code: '190',
      }),
    ).toBe(1);
    expect(metricValue(failed, 'waba_access_graph_calls_held', account)).toBe(0);
    // Nothing reported yet: no reading, rather than a made-up 0.
    expect(failed.some((sample) => sample.name === 'waba_access_meta_usage_ratio')).toBe(false);
    expect(metricValue(failed, 'waba_access_meta_app_usage_ratio')).toBeNaN();

    h.graph.extraHeaders = usageHeaders(95);
    const list = await h.command('list');
    await eventually(() => h!.responses(list.responseId)[0]);
    const held = await scrape();
    expect(metricValue(held, 'waba_access_meta_usage_ratio', account)).toBe(0.95);
    expect(metricValue(held, 'waba_access_graph_calls_held', account)).toBe(1);
  });

  it('times the acks of hostile requests too, without a label per request', async () => {
    h = await Harness.start();
    // A signed body of a type Slack never sends to this app is answered, and counted as `other`.
    const odd = await sendSigned(h.eventsUrl, SIGNING_SECRET, JSON.stringify({ type: `made-up-${'x'.repeat(300)}` }), {
      json: true,
    });
    expect(odd.status).toBeLessThan(500);
    const samples = await scrape();
    const kinds = new Set(
      samples.filter((sample) => sample.name === 'waba_access_ack_duration_seconds_count').map((s) => s.labels.kind),
    );
    expect([...kinds]).toEqual(['other']);
    expect(await (await fetch(url('/metrics'), { method: 'POST' })).text()).toMatch(/takes GET or HEAD/);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-for-tests-0123456789';

  it('answers 401, with nothing of the metrics, unless the request carries the token as a bearer', async () => {
    h = await Harness.start({ env: { METRICS_TOKEN: TOKEN } });
    const refusals: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      { authorization: 'Bearer ' },
    ];
    for (const headers of refusals) {
      const response = await fetch(url('/metrics'), { headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const text = await response.text();
      expect(text).toContain('Authorization: Bearer <METRICS_TOKEN>');
      expect(text).not.toMatch(/waba_access_|process_|nodejs_/);
    }
    expect((await fetch(`${url('/metrics')}?token=${TOKEN}`)).status).toBe(401);
    expect((await fetch(url('/metrics'), { method: 'HEAD' })).status).toBe(401);

    const samples = await scrape({ authorization: `Bearer ${TOKEN}` });
    expect(metricValue(samples, 'waba_access_requests_total', { state: 'pending' })).toBe(0);
    expect((await fetch(url('/metrics'), { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    // Probes stay open: a load balancer or kubelet carries no token.
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect(await (await fetch(url('/livez'))).json()).toEqual({ status: 'alive' });
    // The token is a secret: never logged.
    await h.command('help', LEAD, TEAM_CHANNEL);
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });
});
