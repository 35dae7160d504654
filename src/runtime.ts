import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { Accounts } from './access/accounts.js';
import { Directory } from './access/directory.js';
import { AccessService } from './access/service.js';
import { createBoltApp } from './app.js';
import { type Config, ConfigError, secretsOf } from './config.js';
import { GraphClient } from './graph/client.js';
import { createLogger, type Logger } from './logger.js';
import { readPolicyFile } from './policy-file.js';
import { CommandLimit } from './slack/command-limit.js';
import { registerListeners } from './slack/listeners/index.js';
import { SlackNotifier } from './slack/notifier.js';
import { SlackPeople } from './slack/people.js';
import { guardSlackRequests } from './slack/request-guard.js';
import { slackGroupMembers } from './slack/usergroups.js';
import { openStore, type Store } from './store/open-store.js';

export interface RunningBot {
  app: App;
  service: AccessService;
  store: Store;
  graph: GraphClient;
  /** The HTTP port (HTTP mode only). */
  port?: number;
  accounts: Accounts;
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
}

/** How long a process counts as alive after its last heartbeat. */
const HEARTBEAT_TTL_MS = 10_000;
const KEEP_ALIVE_MS = 65_000;

/** Builds everything from the config and starts serving Slack. */
export async function startBot(config: Config, options: StartOptions = {}): Promise<RunningBot> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const store = await openStore(config.storeUrl, { namespace: config.storeNamespace, logger });
  const graph = new GraphClient({ ...config.graph, logger: logger.child({ component: 'graph' }) });

  let draining = false;
  const { app, receiver } = createBoltApp(config, logger, async () => !draining && (await store.ping()));
  const accounts = new Accounts(config.policy, { graph, groupMembers: slackGroupMembers(app.client) });
  const people = new SlackPeople(app.client);
  const directory = new Directory({
    store: store.directory,
    isAdmin: (slackId) => accounts.isAdmin(slackId),
    metaUserExists: (metaUserId) => accounts.default.waba.userExists(metaUserId),
    fixed: () => accounts.policy.people,
    emails: people,
  });
  const notifier = new SlackNotifier(app.client, accounts, logger);
  const service = new AccessService({
    repository: store.repository,
    locker: store.locker,
    accounts,
    notifier,
    requestTtlMs: config.requestTtlMs,
    remindAfterMs: config.remindAfterMs,
    sharedStore: store.kind === 'redis',
    logger: logger.child({ component: 'access' }),
  });
  const commandLimit = new CommandLimit(config.commandsPerMinute);
  registerListeners(app, { service, accounts, directory, people, commandLimit }, () => draining);

  const reloadPolicy = (): ReloadResult => {
    if (!config.policyFile) return { kind: 'no-file' };
    try {
      accounts.replace(readPolicyFile(config.policyFile.path, config.policyFile.defaults));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      logger.error({ problems: error.problems }, 'policy file not reloaded; the running policy stays');
      return { kind: 'invalid', problems: error.problems };
    }
    const aliases = accounts.list().map((account) => account.policy.alias);
    logger.info({ accounts: aliases, default: accounts.policy.defaultAlias }, 'policy file reloaded');
    return { kind: 'reloaded', accounts: aliases };
  };

  let server: Server | undefined;
  if (receiver) {
    server = createServer(guardSlackRequests(receiver.requestListener));
    // Longer than the idle timeout of common load balancers (60 s): Node's default of 5 s lets a balancer reuse a
    // connection the bot has just closed, and the request fails with a 502.
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    server.headersTimeout = KEEP_ALIVE_MS + 1_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.slack.port, resolve);
    });
  } else {
    await app.start();
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
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

  // Replicas see each other alive through the store, so work left by a process that died is taken over quickly.
  const beat = () =>
    store.repository
      .heartbeat(service.instanceId, HEARTBEAT_TTL_MS)
      .catch((error: unknown) => logger.error({ err: error }, 'heartbeat failed'));
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_TTL_MS / 3);
  heartbeat.unref();

  // Work left half-done resumes; pending requests past their time expire; temporary grants past their end end
  // (all of which also catches up after downtime).
  const sweep = async () => {
    const resumed = await service.recover().catch((error: unknown) => {
      logger.error({ err: error }, 'recovery sweep failed');
      return 0;
    });
    if (resumed > 0) logger.info({ resumed }, 'resumed interrupted requests');
    await Promise.all([
      service.expireDue().catch((error: unknown) => logger.error({ err: error }, 'request expiry sweep failed')),
      service.expireGrants().catch((error: unknown) => logger.error({ err: error }, 'grant expiry sweep failed')),
      service.remindDue().catch((error: unknown) => logger.error({ err: error }, 'reminder sweep failed')),
    ]);
  };
  await sweep();
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 10_000);
  sweeper.unref();

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    draining = true;
    clearInterval(sweeper);
    clearInterval(heartbeat);
    const drainTimeout = new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 30_000).unref());
    await Promise.race([service.drain(), drainTimeout]);
    if (server) {
      const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeAllConnections();
      await closing;
    } else {
      await app.stop();
    }
    await graph.close();
    await store.close();
    logger.info({}, 'waba-access stopped');
  };
  return {
    app,
    service,
    store,
    graph,
    port,
    accounts,
    reloadPolicy,
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
