import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { startBot } from './runtime.js';

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
    console.error('waba-access cannot start; set these in .env or the environment (see .env.example):');
    for (const problem of error.problems) console.error(`  ${problem}`);
    process.exitCode = 1;
    return;
  }

  const bot = await startBot(config);
  let stopping = false;
  const stop = (signal: string) => {
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
  // Only with a policy file: otherwise SIGHUP keeps its usual meaning (the terminal closed: stop).
  if (config.policyFile) {
    process.on('SIGHUP', () => {
      const result = bot.reloadPolicy();
      if (result.kind === 'invalid') {
        console.error('waba-access: the policy file was not reloaded; the running policy stays. Problems:');
        for (const problem of result.problems) console.error(`  ${problem}`);
      }
    });
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`waba-access could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
