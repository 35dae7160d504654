import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { Accounts } from './access/accounts.js';
import { AuditExports } from './access/audit-exports.js';
import { Directory } from './access/directory.js';
import { DriftJournal } from './access/drift-journal.js';
import { DriftService } from './access/drift-service.js';
import { startReviewSweeps } from './access/review-service.js';
import { AccessService } from './access/service.js';
import { startBackgroundWork } from './access/use-cases/sweeps.js';
import { createBoltApp } from './app.js';
import { AuditWebhook, type AuditWebhookOptions } from './audit/webhook.js';
import { type Config, ConfigError, secretsOf } from './config.js';
import { GraphClient } from './graph/client.js';
import { createHttpServer, type Health, type HttpRoutes } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import { BotMetrics } from './metrics/bot-metrics.js';
import { readPolicyFile } from './policy-file.js';
import { CommandLimit } from './slack/command-limit.js';
import { SlackDriftNotifier } from './slack/drift-notifier.js';
import { HomeRefresh } from './slack/home-refresh.js';
import { LinkAnnouncer } from './slack/link-announcer.js';
import { homePublisher } from './slack/listeners/home.js';
import { type ListenerDeps, registerListeners } from './slack/listeners/index.js';
import { SlackNotifier } from './slack/notifier.js';
import { SlackPeople } from './slack/people.js';
import { SlackReviewNotifier } from './slack/review-notifier.js';
import { slackGroupMembers } from './slack/usergroups.js';
import { openStore, type Store } from './store/open-store.js';

export interface RunningBot {
  app: App;
  service: AccessService;
  /** Drift checks and digests, and who had access when. */
  drift: DriftService;
  store: Store;
  graph: GraphClient;
  /** The HTTP port: probes and metrics in both modes, Slack's requests in HTTP mode. */
  port: number;
  accounts: Accounts;
  /** What `GET /metrics` serves. */
  metrics: BotMetrics;
  /**
   * Reads the policy file again and puts it in place; requests and grants under way carry on. A file with problems
   * changes nothing: the problems are returned (and logged) and the running policy stays.
   */
  reloadPolicy(): ReloadResult;
  /**
   * Shuts down: /healthz turns 503 and new Slack requests are refused politely while work under way finishes
   * (bounded); then the server, the Graph pool and the store close.
   */
  stop(): Promise<void>;
}

export type ReloadResult =
  | { kind: 'reloaded'; accounts: string[] }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'no-file' };

export interface StartOptions {
  logger?: Logger;
  /** How often the sweep runs: half-done work resumes, pending requests expire or are reminded of, grants end. */
  sweepIntervalMs?: number;
  /** The longest a stop waits for Graph calls under way. */
  drainTimeoutMs?: number;
  /** How often drift is checked, instead of the config's `DRIFT_CHECK_EVERY` (tests go below its 10 s floor). */
  driftCheckEveryMs?: number;
  /** How the audit webhook (AUDIT_WEBHOOK_URL) polls and backs off; its defaults suit production. */
  auditWebhook?: Pick<AuditWebhookOptions, 'pollMs' | 'minRetryMs' | 'maxRetryMs' | 'timeoutMs'>;
}

/** How long a process counts as alive after its last heartbeat. */
const HEARTBEAT_TTL_MS = 10_000;
/** /healthz answers within a second: a store that has not answered by then counts as down. */
const STORE_PING_BUDGET_MS = 800;
/** How long the start waits for Slack's first answer before going on without it. */
const FIRST_SLACK_ATTEMPT_MS = 3_000;

/**
 * Builds everything from the config and starts serving Slack. The server listens first (in both modes), so /healthz
 * answers (503, "starting") while the store opens and Slack is reached; Slack being unreachable never fails the start.
 */
export async function startBot(config: Config, options: StartOptions = {}): Promise<RunningBot> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  let draining = false;
  let store: Store | undefined;
  let slackReady = () => false;
  let everReady = false;
  const health = async (): Promise<Health> => {
    if (draining) return { status: 'draining' };
    const waiting: Array<'store' | 'slack'> = [];
    if (!(store && (await answersWithin(store.ping(), STORE_PING_BUDGET_MS)))) waiting.push('store');
    if (!slackReady()) waiting.push('slack');
    if (waiting.length === 0) {
      everReady = true;
      return { status: 'ready' };
    }
    return { status: everReady ? 'unavailable' : 'starting', waiting_for: waiting };
  };
  const metrics = new BotMetrics();
  const routes: HttpRoutes = {
    health,
    metrics: { ...(config.metricsToken ? { token: config.metricsToken } : {}), scrape: () => metrics.scrape() },
    acked: (body, seconds) => metrics.acked(body, seconds),
  };
  // Socket Mode too serves /healthz, /livez and /metrics: a deployment probes it like any other.
  const server = await listen(
    createHttpServer({
      signingSecret: config.slack.signingSecret,
      routes,
      logger,
      serveSlack: !config.slack.appToken,
    }),
    config.slack.port,
  );
  try {
    store = await openStore(config.storeUrl, { namespace: config.storeNamespace, logger });
  } catch (error) {
    server.close();
    throw error;
  }
  return build(config, options, logger, store, server, {
    routes,
    metrics,
    isDraining: () => draining,
    drain: () => {
      draining = true;
    },
    onSlackReady: (ready) => {
      slackReady = ready;
    },
  });
}

/** What `startBot` shares with the rest of the start-up: the server's routes, and the draining flag. */
interface Wiring {
  routes: HttpRoutes;
  metrics: BotMetrics;
  isDraining(): boolean;
  drain(): void;
  onSlackReady(ready: () => boolean): void;
}

async function build(
  config: Config,
  options: StartOptions,
  logger: Logger,
  store: Store,
  server: Server,
  wiring: Wiring,
): Promise<RunningBot> {
  const { metrics } = wiring;
  const graph = new GraphClient({
    ...config.graph,
    logger: logger.child({ component: 'graph' }),
    observe: (call) => metrics.graphCall(call),
  });
  const { app, receiver, connection, socket } = createBoltApp(config, logger);
  // In Socket Mode, Slack is reachable once its socket is open too.
  wiring.onSlackReady(() => connection.ready && (socket?.connected ?? true));
  // A normal start says it is running once Slack has answered; an unreachable Slack is retried in the background.
  await answersWithin(connection.start(), FIRST_SLACK_ATTEMPT_MS);
  const accounts = new Accounts(config.policy, {
    graph,
    groupMembers: slackGroupMembers(app.client),
    warn: (obj, msg) => logger.warn(obj, msg),
    // Every write to Meta is recorded first, so drift checks tell the bot's own changes from others'.
    writeJournal: new DriftJournal(store.drift),
  });
  const people = new SlackPeople(app.client);
  const directory = new Directory({
    store: store.directory,
    isAdmin: (slackId) => accounts.mayLinkPeople(slackId),
    admins: () => accounts.linkAdminIds(),
    metaUserExists: (metaUserId) => accounts.default.waba.userExists(metaUserId),
    fixed: () => accounts.policy.people,
    emails: people,
    locker: store.locker,
    notifier: new LinkAnnouncer(app.client, accounts, logger),
    logger: logger.child({ component: 'people' }),
  });
  // Home tabs of the people a change concerns are drawn again; drawing needs the service, which needs the notifier.
  let listenerDeps: ListenerDeps | undefined;
  const homes = new HomeRefresh(
    async (people) => (listenerDeps ? homePublisher(listenerDeps, app.client, people) : async () => {}),
    logger.child({ component: 'home' }),
  );
  const notifier = new SlackNotifier(
    app.client,
    accounts,
    logger,
    (request) => directory.originOf(request.targetUserId, request.targetSlackId),
    homes,
  );
  const service = new AccessService({
    repository: store.repository,
    locker: store.locker,
    accounts,
    notifier,
    identities: directory,
    requestTtlMs: config.requestTtlMs,
    remindAfterMs: config.remindAfterMs,
    expiryNoticeMs: config.expiryNoticeMs,
    sharedStore: store.kind === 'redis',
    logger: logger.child({ component: 'access' }),
    reviews: {
      repository: store.reviews,
      notifier: new SlackReviewNotifier(app.client, accounts, logger),
      globalAdmins: { includes: (slackId) => accounts.isAdmin(slackId), ids: () => accounts.policy.adminIds },
      ...(config.reviewEveryMs === undefined ? {} : { everyMs: config.reviewEveryMs }),
    },
    metrics,
  });
  metrics.watch({
    accounts: () => accounts.list().map((account) => ({ alias: account.policy.alias, wabaId: account.policy.wabaId })),
    budget: (wabaId) => graph.budget(wabaId),
    counts: () => store.counts(),
    now: Date.now,
  });
  const driftCheckEveryMs = options.driftCheckEveryMs ?? config.driftCheckEveryMs;
  const drift = new DriftService({
    store: store.drift,
    accounts,
    repository: store.repository,
    locker: store.locker,
    notifier: new SlackDriftNotifier(app.client, accounts),
    requestNotifier: notifier,
    identities: directory,
    slackIdOf: (metaUserId) => directory.slackIdOf(metaUserId),
    ...(driftCheckEveryMs === undefined ? {} : { intervalMs: driftCheckEveryMs }),
    historyDays: config.historyDays,
    logger: logger.child({ component: 'drift' }),
  });
  const commandLimit = new CommandLimit(config.commandsPerMinute);
  const auditExports = new AuditExports(store.auditTrail, accounts);
  listenerDeps = { service, drift, accounts, directory, people, commandLimit, auditExports };
  registerListeners(app, listenerDeps, wiring.isDraining);

  const reloadPolicy = (): ReloadResult => {
    if (!config.policyFile) return { kind: 'no-file' };
    try {
      accounts.replace(readPolicyFile(config.policyFile.path, config.policyFile.defaults));
    } catch (error) {
      // Anything that goes wrong reading the file is a problem with the file: the running policy stays.
      const problems =
        error instanceof ConfigError
          ? error.problems
          : [`${config.policyFile.path}: cannot be read: ${error instanceof Error ? error.message : String(error)}`];
      logger.error({ problems }, 'policy file not reloaded; the running policy stays');
      return { kind: 'invalid', problems };
    }
    const aliases = accounts.list().map((account) => account.policy.alias);
    logger.info({ accounts: aliases, default: accounts.policy.defaultAlias }, 'policy file reloaded');
    return { kind: 'reloaded', accounts: aliases };
  };

  if (receiver) {
    await receiver.start();
    wiring.routes.slack = (request, res, answered) => receiver.handle(request, res, answered);
  } else {
    // Socket Mode: Slack unreachable at start, or later, is waited out, not fatal.
    socket?.start();
  }
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      mode: config.slack.appToken ? 'socket' : 'http',
      port,
      store: store.kind,
      graphVersion: config.graph.version,
      accounts: accounts.list().map((account) => account.policy.alias),
    },
    'waba-access is running',
  );

  // Replicas see each other alive through the store, so work left by a process that died is taken over quickly;
  // the sweep resumes half-done work, expires and reminds, and ends grants (catching up after downtime too).
  const stopBackgroundWork = await startBackgroundWork({
    sweeps: metrics.timed(service),
    heartbeat: (ttlMs) => store.repository.heartbeat(service.instanceId, ttlMs),
    heartbeatTtlMs: HEARTBEAT_TTL_MS,
    sweepIntervalMs: options.sweepIntervalMs ?? 10_000,
    logger,
  });
  // Each account's roster is compared with what the bot expects, once per interval across replicas.
  const stopDrift = drift.start();

  // Access reviews: rows left half-done are settled, reviewers reminded, and scheduled reviews started.
  const stopReviewSweeps = startReviewSweeps(service.reviews, {
    intervalMs: options.sweepIntervalMs ?? 10_000,
    logger,
  });

  // Every audit entry goes to the webhook, from the trail in the store: one process at a time, in order.
  const auditWebhook = config.auditWebhook
    ? new AuditWebhook({
        ...config.auditWebhook,
        ...options.auditWebhook,
        trail: store.auditTrail,
        state: store.auditState,
        locker: store.locker,
        logger: logger.child({ component: 'audit-webhook' }),
      })
    : undefined;
  auditWebhook?.start();

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    wiring.drain();
    connection.stop();
    stopBackgroundWork();
    stopReviewSweeps();
    homes.stop();
    stopDrift();
    const drainTimeout = new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 30_000).unref());
    await Promise.race([Promise.all([service.drain(), drift.drain()]), drainTimeout]);
    await auditWebhook?.stop();
    // The server runs in both modes (Socket Mode serves the probes and metrics on it); Slack's side is one or other.
    const closing = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closing;
    await receiver?.stop();
    await socket?.stop();
    await graph.close();
    await store.close();
    logger.info({}, 'waba-access stopped');
  };
  return {
    app,
    service,
    drift,
    store,
    graph,
    port,
    accounts,
    metrics,
    reloadPolicy,
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Whether `check` resolved true within `ms`; a late or failed answer is false (and never left unhandled). */
function answersWithin(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check.catch(() => false), late]).finally(() => clearTimeout(timer));
}
