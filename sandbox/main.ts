import { startSandbox } from './sandbox.js';

const USAGE = 'Usage: npm run sandbox [-- --socket]';

/**
 * `npm run sandbox`: the sandbox on SANDBOX_PORT (default 3977, or a free port when that one is taken); with
 * `--socket`, the bot connects in Socket Mode instead of receiving HTTP requests.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--socket');
  if (unknown.length > 0) {
    console.error(`Unknown option ${unknown.join(' ')}. ${USAGE}`);
    process.exitCode = 1;
    return;
  }
  const mode = args.includes('--socket') ? 'socket' : 'http';
  console.log(
    `Starting the waba-access sandbox (the real bot in ${mode === 'socket' ? 'Socket Mode' : 'HTTP mode'}, a Slack emulator and a fake Graph)…`,
  );
  const sandbox = await startSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 3977),
    onBotOutput: (chunk) => process.stderr.write(chunk),
    mode,
  });
  console.log(`\nOpen ${sandbox.url}\n`);
  console.log('Try /waba help as Lena, then approve as Ana or Ben. Ctrl-C stops everything.');
  console.log('The side panel’s Business Manager changes Meta behind the bot’s back: within 15 s the approvers hear.');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`The sandbox could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
