import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, secretsOf } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { startBot } from './runtime.js';

/** Where the last-resort handlers below write; the structured logger once the config is read. */
let log: Logger | undefined;

/**
 * Start-up: settings from the environment (and ./.env), then the bot; stops cleanly on SIGTERM/SIGINT and reads the
 * policy file again on SIGHUP.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(
      'waba-access cannot start; fix these in .env, the environment or the policy file (see .env.example):',
    );
    for (const problem of error.problems) console.error(`  ${problem}`);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  log = logger;

  // Signals are taken from the first moment: one that arrives while the bot starts stops it once it has started.
  let stopRequested: string | undefined;
  let stop = (signal: string) => {
    stopRequested ??= signal;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const bot = await startBot(config, { logger });
  let stopping = false;
  stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`waba-access: ${signal} received; finishing requests under way…`);
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`waba-access: stopped with an error: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  if (stopRequested) {
    stop(stopRequested);
    return;
  }
  // Only with a policy file: otherwise SIGHUP keeps its usual meaning (the terminal closed: stop).
  if (config.policyFile) {
    process.on('SIGHUP', () => {
      try {
        const result = bot.reloadPolicy();
        if (result.kind === 'invalid') {
          console.error('waba-access: the policy file was not reloaded; the running policy stays. Problems:');
          for (const problem of result.problems) console.error(`  ${problem}`);
        }
      } catch (error) {
        logger.error({ err: error }, 'policy file not reloaded; the running policy stays');
      }
    });
  }
}

// Last resort. Every rejection is meant to be handled where it arises, so one that reaches here is a bug: it is
// logged loudly, with the error, and the process keeps serving (a rejection leaves no half-done synchronous state).
process.on('unhandledRejection', (reason) => {
  if (log) log.error({ err: reason }, 'BUG: unhandled promise rejection');
  else console.error('waba-access: BUG: unhandled promise rejection:', reason);
});
// An exception thrown out of a callback may leave state half-changed: logged as fatal, then the process ends.
process.on('uncaughtException', (error) => {
  if (log) log.fatal({ err: error }, 'BUG: uncaught exception; exiting');
  else console.error('waba-access: BUG: uncaught exception; exiting:', error);
  process.exit(1);
});

main().catch((error: unknown) => {
  console.error(`waba-access could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
