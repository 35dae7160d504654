import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedCall } from '../sandbox/fake-graph.js';
import type { SlackMessage } from '../sandbox/slack/emulator.js';
import { blockActionBody, sendSigned, viewSubmissionBody } from '../sandbox/slack/requests.js';
import { ACTION, FIELD, VIEW } from '../src/slack/ids.js';
import { COMPILED_MAIN } from '../test/support/bot-process.js';
import { Cluster, requestIdOf } from '../test/support/cluster.js';
import { SIGNING_SECRET, WABA_ID } from '../test/support/harness.js';
import { quiet, waitFor } from './observe.js';

/**
 * Graph calls per operation, counted by the fake Graph while the built bot (dist/, as `npm start` runs it) serves
 * correctly signed Slack requests. Each operation is measured alone: the bot is quiet before it starts and quiet
 * again before its calls are counted, so every call in between is that operation's.
 */

export const ROSTER_SIZES = [10, 1_000, 10_000];

/** The edges counted apart; anything else the bot calls lands in `other`. */
const EDGES = [
  'assigned_users GET',
  'assigned_users POST',
  'assigned_users DELETE',
  'assigned_whatsapp_business_accounts GET',
  'other',
] as const;
type Edge = (typeof EDGES)[number];
export type EdgeCounts = Record<Edge, number>;

const OPERATIONS = ['file', 'approve', 'deny', 'revoke', 'list', 'expire'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface GraphCallsRow {
  operation: Operation;
  roster: number;
  calls: EdgeCounts;
  total: number;
  target: string;
  pass: boolean;
}

export interface GraphCallsResult {
  name: 'graph-calls';
  rows: GraphCallsRow[];
  /** Operations whose count must not grow with the roster, and whether it did. */
  growth: Array<{ operation: Operation; smallest: number; largest: number; pass: boolean }>;
  pass: boolean;
}

/** What each operation may cost at Meta, for a roster of `n` users. */
const TARGETS: Record<Operation, { text: (n: number) => string; pass: (c: EdgeCounts, n: number) => boolean }> = {
  // Whether the person exists and what they hold: one call on their own edge.
  file: { text: () => '≤ 1 call', pass: (c) => total(c) <= 1 },
  // A fresh read of the person, then the write.
  approve: { text: () => '≤ 2: 1 read, 1 write', pass: (c) => reads(c) <= 1 && writes(c) <= 1 },
  // Nothing changes at Meta.
  deny: { text: () => '0 calls', pass: (c) => total(c) === 0 },
  // Approving a revoke: a fresh read, then the DELETE.
  revoke: { text: () => '≤ 2: 1 read, 1 write', pass: (c) => reads(c) <= 1 && writes(c) <= 1 },
  list: {
    text: (n) => `≤ ${Math.ceil(n / 100)} (⌈N/100⌉)`,
    pass: (c, n) => total(c) <= Math.ceil(n / 100),
  },
  // The grant's end: a fresh read (to spot changes made outside the bot), then the write that restores.
  expire: { text: () => '≤ 2: 1 read, 1 write', pass: (c) => reads(c) <= 1 && writes(c) <= 1 },
};

const total = (c: EdgeCounts) => EDGES.reduce((sum, edge) => sum + c[edge], 0);
const writes = (c: EdgeCounts) => c['assigned_users POST'] + c['assigned_users DELETE'];
const reads = (c: EdgeCounts) => total(c) - writes(c);

function edgeOf(call: RecordedCall): Edge {
  const edge = /\/(assigned_users|assigned_whatsapp_business_accounts)$/.exec(call.path)?.[1];
  const key = `${edge} ${call.method}`;
  return (EDGES as readonly string[]).includes(key) ? (key as Edge) : 'other';
}

function countByEdge(calls: RecordedCall[]): EdgeCounts {
  const counts = Object.fromEntries(EDGES.map((edge) => [edge, 0])) as EdgeCounts;
  for (const call of calls) counts[edgeOf(call)]++;
  return counts;
}

/** Every operation on every roster size; the sizes run side by side, each with its own bot and fakes. */
export async function benchGraphCalls(sizes = ROSTER_SIZES): Promise<GraphCallsResult> {
  const perSize = await Promise.all(sizes.map((size) => measureRoster(size)));
  const rows = perSize.flat();
  const growth = OPERATIONS.filter((operation) => operation !== 'list').map((operation) => {
    const of = rows.filter((row) => row.operation === operation).sort((a, b) => a.roster - b.roster);
    const smallest = of[0]!.total;
    const largest = of.at(-1)!.total;
    return { operation, smallest, largest, pass: largest <= smallest };
  });
  return {
    name: 'graph-calls',
    rows,
    growth,
    pass: rows.every((row) => row.pass) && growth.every((g) => g.pass),
  };
}

/** One bot on a WABA with `size` users: each operation once, in an order that leaves the roster cache cold. */
async function measureRoster(size: number): Promise<GraphCallsRow[]> {
  const rostered = Array.from({ length: size }, (_, i) => String(700_000_000_000_000 + i));
  // Known to Meta, not on the WABA: the people grants are for.
  const [granted, denied] = ['800000000000001', '800000000000002'];
  const revoked = rostered[0]!;
  const cluster = new Cluster([...rostered, granted!, denied!], {
    STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'waba-calls-')), 'store.sqlite')}`,
  });
  for (const id of rostered) cluster.graph.assign(WABA_ID, id, ['MESSAGING']);
  await cluster.start();
  const bot = await cluster.startBot('bot', undefined, COMPILED_MAIN);
  const activity = () => cluster.graph.calls.length + cluster.slack.calls.length + cluster.slack.responses.length;
  const rows: GraphCallsRow[] = [];
  const measure = async (operation: Operation, run: () => Promise<void>) => {
    await quiet(activity);
    const from = cluster.graph.calls.length;
    await run();
    await quiet(activity);
    const calls = countByEdge(cluster.graph.calls.slice(from));
    const target = TARGETS[operation];
    rows.push({
      operation,
      roster: size,
      calls,
      total: total(calls),
      target: target.text(size),
      pass: target.pass(calls, size),
    });
  };
  const file = async (text: string): Promise<SlackMessage> => {
    const before = cluster.approvalMessages().length;
    await ok(cluster.command('bot', text));
    return waitFor(() => cluster.approvalMessages()[before], 60_000, `approval message for "${text}"`);
  };
  const updates = (message: SlackMessage) =>
    cluster.slack.messages.get(`${message.channel}:${message.ts}`)?.updates ?? 0;
  const updated = (message: SlackMessage, after = 0) =>
    waitFor(() => updates(message) > after, 90_000, 'approval message update');
  try {
    // A temporary grant, so the same request also ends on its own at the end of the run.
    let grant!: SlackMessage;
    await measure('file', async () => {
      grant = await file(`grant ${granted} MESSAGING for 1m`);
    });
    let approvedAt = 0;
    await measure('approve', async () => {
      await ok(cluster.approve('bot', grant, 'UANN'));
      await waitFor(() => cluster.graph.tasksOf(WABA_ID, granted!), 60_000, 'grant written');
      await updated(grant);
      approvedAt = Date.now();
    });

    const denial = await file(`grant ${denied} MESSAGING`);
    await measure('deny', async () => {
      const views = cluster.slack.callsOf('views.open').length;
      await ok(clickAs(cluster, denial, ACTION.deny, 'UANN'));
      await waitFor(() => cluster.slack.callsOf('views.open').length > views, 30_000, 'deny form');
      await ok(
        sendSigned(
          `${bot.url}/slack/events`,
          SIGNING_SECRET,
          viewSubmissionBody({
            callbackId: VIEW.deny,
            userId: 'UANN',
            privateMetadata: requestIdOf(denial),
            values: { [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: 'not now' } } },
          }),
        ),
      );
      await updated(denial);
    });

    const revoke = await file(`revoke ${revoked}`);
    await measure('revoke', async () => {
      await ok(cluster.approve('bot', revoke, 'UANN'));
      await waitFor(() => !cluster.graph.tasksOf(WABA_ID, revoked), 60_000, 'user removed');
      await updated(revoke);
    });

    // Right after a write, so the roster cache is cold: one full refresh.
    await measure('list', async () => {
      const before = cluster.slack.responses.length;
      await ok(cluster.command('bot', 'list'));
      await waitFor(() => cluster.slack.responses.length > before, 60_000, 'roster reply');
    });

    // The 1-minute grant ends while nothing else happens.
    if (!cluster.graph.tasksOf(WABA_ID, granted!) || Date.now() - approvedAt > 50_000) {
      throw new Error(`roster ${size}: the other operations ran into the grant's end; expiry cannot be measured alone`);
    }
    await measure('expire', async () => {
      const before = updates(grant);
      await waitFor(() => !cluster.graph.tasksOf(WABA_ID, granted!), 120_000, 'grant ended');
      await updated(grant, before);
    });
    return rows;
  } catch (error) {
    throw new Error(`roster ${size}: ${(error as Error).message}\nbot output:\n${bot.output.join('').slice(-4_000)}`);
  } finally {
    await cluster.stop();
  }
}

let clicks = 0;
function clickAs(cluster: Cluster, message: SlackMessage, actionId: string, userId: string) {
  const body = blockActionBody({
    actionId,
    value: requestIdOf(message),
    userId,
    channelId: message.channel,
    messageTs: message.ts,
    responseUrl: cluster.slack.responseUrl(`calls${++clicks}`),
  });
  return sendSigned(`${cluster.bot('bot').url}/slack/events`, SIGNING_SECRET, body);
}

async function ok(reply: Promise<{ status: number; body: string }>): Promise<void> {
  const { status, body } = await reply;
  if (status !== 200) throw new Error(`the bot answered ${status}: ${body.slice(0, 200)}`);
}

/** The table as printed: one line per operation and roster size, calls by edge. */
export function graphCallsTable(result: GraphCallsResult) {
  return result.rows.map((row) => ({
    operation: row.operation,
    roster: row.roster,
    'GET assigned_users': row.calls['assigned_users GET'],
    'POST assigned_users': row.calls['assigned_users POST'],
    'DELETE assigned_users': row.calls['assigned_users DELETE'],
    'GET assigned_whatsapp_business_accounts': row.calls['assigned_whatsapp_business_accounts GET'],
    other: row.calls.other,
    total: row.total,
    target: row.target,
    pass: row.pass ? 'pass' : 'FAIL',
  }));
}
