import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TASKS } from '../src/graph/tasks.js';
import { FakeGraph, type RecordedCall } from './fake-graph.js';
import type { AppMode } from './slack/app-link.js';
import { type SidePanelSection, SlackEmulator } from './slack/emulator.js';

/**
 * The whole flow without Slack or Meta: the real bot, unchanged, in its own process, in HTTP mode or Socket Mode,
 * wired to the Slack emulator (whose page is the sandbox) and to the fake Graph seeded with two demo WABAs and a
 * dozen people. The bot reads a policy file with both accounts, as a deployment with several would.
 */

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export const DEMO = {
  wabaId: '104000000000001',
  marketingWabaId: '104000000000002',
  businessId: '204000000000001',
  supportChannel: 'C0SUPPORT',
  approvalChannel: 'C0APPROVALS',
  marketingApprovalChannel: 'C0MKTAPPROVALS',
  lead: 'ULENA',
  approvers: ['UANA', 'UBEN'],
} as const;

/** Slack colleagues who are also people at Meta (ids from PEOPLE_AT_META): the policy file says who is who. */
const COLLEAGUES: Array<[slackId: string, name: string, realName: string, metaUserId: string]> = [
  ['UMAYA', 'maya', 'Maya Chen', '310000000000001'],
  ['ULUCAS', 'lucas', 'Lucas Moreau', '310000000000004'],
  ['UZOE', 'zoe', 'Zoe Williams', '310000000000005'],
];

const emailOf = (name: string) => `${name}@acme.example`;

/**
 * Two accounts: support (the default; Ana and Ben approve, FULL_CONTROL needs both) and marketing (Ben alone
 * approves, a reason is required, grants last at most a week). Maya is named by Slack id, the others by email.
 */
function demoPolicy(): string {
  const [maya, ...byEmail] = COLLEAGUES;
  return `default_account: support
admins: [${DEMO.approvers.join(', ')}]
accounts:
  support:
    waba_id: ${DEMO.wabaId}
    business_id: ${DEMO.businessId}
    approvers: [${DEMO.approvers.join(', ')}]
    approval_channel: ${DEMO.approvalChannel}
    approvals: { default: 1, FULL_CONTROL: 2 }
    break_glass: { users: [${DEMO.lead}], tasks: [MESSAGING, VIEW_TEMPLATES], max_duration: 1h }
  marketing:
    waba_id: ${DEMO.marketingWabaId}
    business_id: ${DEMO.businessId}
    approvers: [${DEMO.approvers[1]}]
    approval_channel: ${DEMO.marketingApprovalChannel}
    tasks: [MESSAGING, VIEW_TEMPLATES, MANAGE_TEMPLATES, VIEW_INSIGHTS]
    max_duration: 7d
    reason_required: true
people:
  ${maya![0]}: ${maya![3]}
${byEmail.map(([, name, , metaUserId]) => `  ${emailOf(name)}: ${metaUserId}`).join('\n')}
`;
}

const PEOPLE_AT_META: Array<[name: string, tasks?: string[]]> = [
  ['Maya Chen', ['MANAGE']],
  ['Omar Haddad', ['MESSAGING']],
  ['Priya Nair', ['MESSAGING', 'VIEW_TEMPLATES']],
  ['Lucas Moreau'],
  ['Zoe Williams'],
  ['Kenji Watanabe', ['VIEW_INSIGHTS']],
  ['Fatima Diallo'],
  ['Jonas Berg', ['MANAGE_TEMPLATES']],
  ['Sofia Rossi'],
  ['Diego Alvarez'],
  ['Hana Kim', ['MESSAGING']],
  ['Tom Becker'],
];

export interface SandboxOptions {
  /** The page's port; 0 picks a free one. */
  port?: number;
  /** The bot's log level (its logs go to `onBotOutput`). */
  logLevel?: string;
  onBotOutput?: (chunk: string) => void;
  /** How the bot hears from Slack: signed HTTP requests (the default), or Socket Mode with an app-level token. */
  mode?: AppMode;
  /** How often the bot looks for changes made outside it (`DRIFT_CHECK_EVERY`); short, so they show soon. */
  driftCheckEvery?: string;
}

export interface Sandbox {
  url: string;
  mode: AppMode;
  emulator: SlackEmulator;
  graph: FakeGraph;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const mode = options.mode ?? 'http';
  const secrets = {
    appToken: `xapp-sandbox-${randomBytes(12).toString('hex')}`,
    signing: randomBytes(16).toString('hex'),
    metaToken: `sandbox-${randomBytes(12).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
  };
  const graph = demoGraph(secrets.metaToken, secrets.appSecret);
  await graph.start();

  const emulator = new SlackEmulator({
    signingSecret: secrets.signing,
    title: 'waba-access sandbox',
    commands: ['/waba'],
    bot: { id: 'UWABABOT', name: 'waba-access', realName: 'waba-access', isBot: true },
    people: [
      { id: DEMO.lead, name: 'lena', realName: 'Lena Ortiz', title: 'team lead' },
      { id: DEMO.approvers[0], name: 'ana', realName: 'Ana Silva', title: 'approver' },
      { id: DEMO.approvers[1], name: 'ben', realName: 'Ben Okafor', title: 'approver' },
      ...COLLEAGUES.map(([slackId, name, realName]) => ({
        id: slackId,
        name,
        realName,
        title: 'support agent',
        email: emailOf(name),
      })),
    ],
    channels: [
      { id: DEMO.supportChannel, name: 'support-team' },
      { id: DEMO.approvalChannel, name: 'waba-approvals' },
      { id: DEMO.marketingApprovalChannel, name: 'marketing-approvals' },
    ],
    sidePanel: () => [businessManagerSection(graph), graphCallsSection(graph), peopleSection(graph)],
    onSideAction: (form, action, values) => {
      if (form === BUSINESS_MANAGER) changeOutsideTheBot(graph, action, values);
    },
    mode,
    appToken: secrets.appToken,
  });
  graph.onAnswered = () => emulator.refresh();
  await listen(emulator, options.port ?? 0);

  const dir = mkdtempSync(join(tmpdir(), 'waba-sandbox-'));
  writeFileSync(join(dir, 'policy.yml'), demoPolicy());
  const botPort = await freePort();
  const bot = spawn(process.execPath, ['--import', TSX, MAIN], {
    // An empty folder and only these settings: a developer's .env or real tokens never reach the sandbox.
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: 'xoxb-sandbox-not-a-real-token',
      SLACK_SIGNING_SECRET: secrets.signing,
      SLACK_API_URL: emulator.apiUrl,
      // In Socket Mode the bot opens a socket to the emulator and serves no HTTP.
      ...(mode === 'socket' ? { SLACK_APP_TOKEN: secrets.appToken } : {}),
      PORT: String(botPort),
      META_ACCESS_TOKEN: secrets.metaToken,
      META_APP_SECRET: secrets.appSecret,
      GRAPH_API_BASE_URL: graph.url,
      WABA_CONFIG: join(dir, 'policy.yml'),
      STORE_URL: `sqlite://${join(dir, 'sandbox.sqlite')}`,
      LOG_LEVEL: options.logLevel ?? 'warn',
      DRIFT_CHECK_EVERY: options.driftCheckEvery ?? '15s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    options.onBotOutput?.(chunk.toString());
  };
  bot.stdout.on('data', keep);
  bot.stderr.on('data', keep);

  const stop = async () => {
    await stopProcess(bot);
    await emulator.stop();
    await graph.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  emulator.link.requestUrl = `http://127.0.0.1:${botPort}/slack/events`;
  const ready =
    mode === 'socket'
      ? async () => emulator.socketMode.connections > 0
      : async () => (await fetch(`http://127.0.0.1:${botPort}/healthz`)).status === 200;
  try {
    await waitUntilReady(bot, ready, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: emulator.url, mode, emulator, graph, stop };
}

function demoGraph(accessToken: string, appSecret: string): FakeGraph {
  const graph = new FakeGraph({ accessToken, appSecret, latencyMs: 150 })
    .addWaba({ id: DEMO.wabaId, name: 'Acme Support (demo)', businessId: DEMO.businessId })
    .addWaba({ id: DEMO.marketingWabaId, name: 'Acme Marketing (demo)', businessId: DEMO.businessId });
  PEOPLE_AT_META.forEach(([name, tasks], index) => {
    const id = String(310_000_000_000_001 + index);
    graph.addUser({ id, name, user_type: 'BUSINESS_USER' });
    if (tasks) graph.assign(DEMO.wabaId, id, tasks);
  });
  return graph;
}

const BUSINESS_MANAGER = 'business-manager';
const ACCOUNTS = [
  { value: DEMO.wabaId, label: 'support' },
  { value: DEMO.marketingWabaId, label: 'marketing' },
];

/**
 * Changes the fake Graph directly, as someone in Business Manager would, behind the bot's back: the bot's drift
 * check finds the change and asks the approvers what to do.
 */
function businessManagerSection(graph: FakeGraph): SidePanelSection {
  return {
    title: 'Business Manager (outside the bot)',
    rows: [],
    form: {
      id: BUSINESS_MANAGER,
      fields: [
        { name: 'waba', label: 'Account', options: ACCOUNTS },
        {
          name: 'user',
          label: 'Person',
          options: [...graph.users.values()].map((user) => ({ value: user.id, label: user.name })),
        },
        { name: 'tasks', label: 'Tasks', placeholder: 'MESSAGING, VIEW_TEMPLATES' },
      ],
      buttons: [
        { action: 'set', label: 'Set tasks', style: 'primary' },
        { action: 'remove', label: 'Remove from account', style: 'danger' },
      ],
      hint: 'Changes Meta directly, as Business Manager would. The bot notices at its next drift check and asks the approvers.',
    },
  };
}

function changeOutsideTheBot(graph: FakeGraph, action: string, values: Record<string, string>): void {
  const waba = ACCOUNTS.find((account) => account.value === values.waba)?.value;
  const user = values.user && graph.users.has(values.user) ? values.user : undefined;
  if (!waba || !user) throw new Error('Choose an account and a person.');
  if (action === 'remove') {
    if (!graph.unassign(waba, user)) throw new Error('That person is not on that account.');
    return;
  }
  const tasks = (values.tasks ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((task) => task.toUpperCase());
  const unknown = tasks.filter((task) => !(TASKS as readonly string[]).includes(task));
  if (tasks.length === 0 || unknown.length > 0)
    throw new Error(`Tasks are ${TASKS.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}.`);
  graph.assign(waba, user, tasks);
}

/** What reached "Meta", newest first, without the app-secret proof. */
function graphCallsSection(graph: FakeGraph): SidePanelSection {
  const answered = graph.calls.filter((call) => call.answeredAt !== undefined);
  return {
    title: `Calls to Graph (${answered.length})`,
    rows: answered
      .slice(-50)
      .reverse()
      .map((call) => ({
        title: `${call.method} ${call.path}`,
        detail: `${describeParams(call)} → ${call.status === -1 ? 'connection reset' : call.status} ${describeAnswer(call)}`,
        tone: call.status === 200 ? 'ok' : 'error',
      })),
  };
}

function describeParams(call: RecordedCall): string {
  const { appsecret_proof: _proof, ...params } = { ...call.query, ...call.form };
  return Object.entries(params)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

function describeAnswer(call: RecordedCall): string {
  const body = call.response as { error?: { message?: string }; data?: unknown[]; success?: boolean } | undefined;
  if (body?.error) return body.error.message ?? 'error';
  if (Array.isArray(body?.data)) return `${body.data.length} item(s)`;
  return body?.success ? 'success' : '';
}

/** The demo's people at Meta and what they hold on each WABA; a click puts the id in the message being typed. */
function peopleSection(graph: FakeGraph): SidePanelSection {
  const on = (wabaId: string, userId: string) => graph.tasksOf(wabaId, userId)?.join(', ') ?? 'no access';
  return {
    title: 'People at Meta',
    rows: [...graph.users.values()].map((user) => ({
      title: `${user.name} · ${user.id}`,
      detail: `support: ${on(DEMO.wabaId, user.id)} · marketing: ${on(DEMO.marketingWabaId, user.id)}`,
      insert: user.id,
    })),
  };
}

/** Listens on `port`, or on a free one when that port is taken. */
async function listen(emulator: SlackEmulator, port: number): Promise<void> {
  try {
    await emulator.start(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await emulator.start(0);
  }
}

/** Waits until the bot is ready: /healthz answers 200 (HTTP mode), or its socket is open (Socket Mode). */
async function waitUntilReady(bot: ChildProcess, ready: () => Promise<boolean>, output: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (bot.exitCode !== null) throw new Error(`the bot exited at start:\n${output.join('')}`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the bot was not ready in 30 s:\n${output.join('')}`);
    await sleep(100);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timeout = sleep(10_000).then(() => child.kill('SIGKILL'));
  await Promise.race([exited, timeout]);
}

/** A free loopback port, by asking the OS for one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
