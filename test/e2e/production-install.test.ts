import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/sandbox.js';
import { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { ensureBuilt } from '../support/bot-process.js';
import { lastOf, parseDockerfile } from '../support/dockerfile.js';
import { BUSINESS_ID, defaultGraph, eventually, fakeConnections, SIGNING_SECRET, WABA_ID } from '../support/harness.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The environment without npm's lifecycle variables (set when the tests run under `npm test`), except the headers
 * node-gyp compiles against (CI points them at the Node it tests).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith('npm_') || key.toLowerCase() === 'npm_config_nodedir',
    ),
  );
}

/**
 * sqlite3's install script downloads a prebuilt binary from GitHub, or compiles SQLite (about 90 s) when it cannot.
 * A production host would download it; here prebuild-install finds the binary this checkout already has, packed the
 * way a release is, through its `local-prebuilds` setting (read from `.prebuild-installrc` above the package).
 */
async function offerSqliteBinary(folder: string): Promise<void> {
  const sqlite = join(ROOT, 'node_modules/sqlite3');
  const { version, binary } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as {
    version: string;
    binary: { napi_versions: number[] };
  };
  const napi = Math.max(...binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
  const prebuilds = join(folder, 'prebuilds');
  mkdirSync(prebuilds);
  const tarball = join(prebuilds, `sqlite3-v${version}-napi-v${napi}-${process.platform}-${process.arch}.tar.gz`);
  await run('tar', ['-czf', tarball, '-C', sqlite, 'build/Release/node_sqlite3.node']);
  writeFileSync(join(folder, '.prebuild-installrc'), `local-prebuilds=${prebuilds}\n`);
}

/** The image's runtime stage, as the Dockerfile says: what runs, and how it checks health. */
const image = (() => {
  const runtime = parseDockerfile().stages.at(-1)!;
  return {
    command: [...(lastOf(runtime, 'ENTRYPOINT')?.exec ?? []), ...(lastOf(runtime, 'CMD')?.exec ?? [])],
    healthcheck: lastOf(runtime, 'HEALTHCHECK')?.exec ?? [],
  };
})();
const TINI = image.command[0]!;

/** Runs the image's HEALTHCHECK command here, against `port`; resolves with its exit code. */
function healthcheck(port: number): Promise<number | null> {
  const [file, ...args] = image.healthcheck;
  const child = spawn(file!, args, { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Polls until /healthz on `port` answers 200 or `child` exits; the last status seen. */
async function untilReady(port: number, child: ChildProcess): Promise<number | undefined> {
  let status: number | undefined;
  for (const deadline = Date.now() + 20_000; status !== 200 && Date.now() < deadline; await sleep(100)) {
    if (child.exitCode !== null) break;
    status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status,
      () => undefined,
    );
  }
  return status;
}

interface Started {
  child: ChildProcess;
  /** Its stdout and stderr so far, interleaved. */
  output: () => string;
  /** Settles with its exit code once it has exited. */
  exited: Promise<number | null>;
  /** Settles once every process in its group has let go of the output (npm and the bot under it). */
  closed: Promise<number | null>;
}

/**
 * `file` in `cwd` with only `env` (and PATH), in a process group of its own so whatever it starts gets the same
 * signals, keeping what it writes.
 */
function startDetached(file: string, args: string[], cwd: string, env: Record<string, string | undefined>): Started {
  const child = spawn(file, args, {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited, closed };
}

/** `npm start` in `cwd`; `closed` settles with npm's exit code once the bot under it has gone too. */
function npmStart(cwd: string, env: Record<string, string>): Started {
  return startDetached('npm', ['start'], cwd, { HOME: process.env.HOME, ...env });
}

describe('a production install: package.json, package-lock.json and dist/ with `npm ci --omit=dev`', () => {
  const graph = defaultGraph();
  const slack = new SlackEmulator({ signingSecret: SIGNING_SECRET });
  const folder = mkdtempSync(join(tmpdir(), 'waba-prod-'));
  let bot: ChildProcess | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    cpSync(join(ROOT, 'package.json'), join(folder, 'package.json'));
    cpSync(join(ROOT, 'package-lock.json'), join(folder, 'package-lock.json'));
    await offerSqliteBinary(folder);
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: folder,
      env: cleanEnv(),
    });
    await graph.start();
    await slack.start();
  }, 120_000);

  afterAll(async () => {
    if (bot?.pid && bot.exitCode === null) process.kill(-bot.pid, 'SIGKILL');
    await slack.stop();
    await graph.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('dist/ holds the compiled src/ and nothing else (no sandbox, tests or bench)', () => {
    const compiled = readdirSync(join(ROOT, 'dist')).sort();
    const sources = readdirSync(join(ROOT, 'src'))
      .filter((name) => !name.endsWith('.d.ts'))
      .map((name) => name.replace(/\.ts$/, '.js'))
      .sort();
    expect(compiled).toEqual(sources);
  });

  it('installs no development tool: no TypeScript, tsx, esbuild or test runner', () => {
    for (const tool of ['typescript', 'tsx', 'esbuild', 'vitest', '@biomejs/biome']) {
      expect(existsSync(join(folder, 'node_modules', tool)), tool).toBe(false);
    }
    expect(existsSync(join(folder, 'node_modules/@slack/bolt'))).toBe(true);
  });

  it('`npm start` without dist/ says in one line to build first, and exits 1', async () => {
    const { output, closed } = npmStart(folder, {});
    expect(await closed).toBe(1);
    // npm echoes the script (lines starting with "> "); what the check itself says is one line.
    const said = output()
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('> '));
    expect(said).toEqual(['dist/main.js is missing: run npm run build first']);
  }, 30_000);

  it('`npm start` runs the built bot against the fakes, /healthz answers 200, and SIGTERM stops it', async () => {
    cpSync(join(ROOT, 'dist'), join(folder, 'dist'), { recursive: true });
    const port = await freePort();
    const started = npmStart(folder, {
      ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port }),
      WABA_ID,
      META_BUSINESS_ID: BUSINESS_ID,
      APPROVER_IDS: 'UANN',
    });
    bot = started.child;
    expect(await untilReady(port, bot), started.output()).toBe(200);
    // The default store: SQLite, through the sqlite3 binary the install put in place.
    expect(existsSync(join(folder, 'data'))).toBe(true);

    process.kill(-bot.pid!, 'SIGTERM');
    await started.closed;
    expect(started.output()).toContain('SIGTERM received; finishing requests under way');
    expect(started.output()).not.toContain('stopped with an error');
    // Nothing listens any more (the bot's process may linger as a zombie until init reaps it, so ask the port).
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 40_000);

  // tini is Debian's package (CI installs it); elsewhere the test needs it installed, or is skipped.
  it.skipIf(!existsSync(TINI) && !process.env.CI)(
    "the image's ENTRYPOINT and CMD run the bot there: HEALTHCHECK passes, SIGHUP reloads, SIGTERM drains and exits 0",
    async () => {
      cpSync(join(ROOT, 'dist'), join(folder, 'dist'), { recursive: true });
      const policy = join(folder, 'policy.yml');
      const account = (alias: string, waba: string) =>
        `  ${alias}:\n    waba_id: ${waba}\n    business_id: ${BUSINESS_ID}\n    approvers: [UANN]\n`;
      writeFileSync(policy, `accounts:\n${account('support', WABA_ID)}`);
      const port = await freePort();
      const [file, ...args] = image.command;
      // `node` is found on PATH, as in the image: CI puts the Node it tests first.
      const { child, output, exited } = startDetached(file!, args, folder, {
        NODE_ENV: 'production',
        ...fakeConnections({ slackApiUrl: slack.apiUrl, graphUrl: graph.url, port }),
        WABA_CONFIG: policy,
      });
      bot = child;

      expect(await healthcheck(port)).not.toBe(0);
      expect(await untilReady(port, child), output()).toBe(200);
      expect(await healthcheck(port)).toBe(0);
      // The node that runs the bot is the one running these tests.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`nodejs_version_info{version="${process.version}"`);

      writeFileSync(
        policy,
        `default_account: support\nadmins: [UANN]\naccounts:\n${account('support', WABA_ID)}${account('sales', '42')}`,
      );
      child.kill('SIGHUP');
      await eventually(() => /"accounts":\["support","sales"\].*"msg":"policy file reloaded"/.test(output()), 10_000);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).toContain('SIGTERM received; finishing requests under way');
      expect(output()).toContain('waba-access stopped');
      expect(await healthcheck(port)).not.toBe(0);
    },
    40_000,
  );
});
