import { existsSync } from 'node:fs';
import { runAuditCli } from '../audit/cli.js';

/**
 * `npm run audit -- verify|export …` (node dist/cli/audit.js): checks or exports the audit trail in the bot's store,
 * with nothing but STORE_URL (and STORE_NAMESPACE) from the environment or ./.env.
 */
async function main(): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // A reader that stops early (`| head`) ends the export quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  return runAuditCli(process.argv.slice(2), {
    env: process.env,
    out: (text) =>
      process.stdout.write(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => process.stdout.once('drain', () => resolve())),
    err: (text) => process.stderr.write(text),
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
