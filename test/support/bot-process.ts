import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** What `npm start` runs: the bot compiled by `npm run build`. */
export const COMPILED_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Node's flags in `npm start` (e.g. the heap cap), so the built bot runs here exactly as it does there. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}
const TSX = import.meta.resolve('tsx');

/**
 * The bot as its own process, from the source through tsx's loader or (with `entry` a .js file) compiled with
 * `npm start`'s node flags, so tests can signal it, kill -9 it and run several. It runs in an empty folder, so no
 * developer `.env` leaks in.
 */
export class BotProcess {
  readonly output: string[] = [];
  private exited?: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    // BOT_LOG_DIR keeps every process's output (killed ones included) for diagnosing a failed run.
    const logFile = process.env.BOT_LOG_DIR ? join(process.env.BOT_LOG_DIR, `bot-${child.pid}.log`) : undefined;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (logFile) appendFileSync(logFile, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Starts the bot (or another `entry` script) and waits until /healthz answers 200 (ready), or with `waitFor:
   * 'listening'` until it answers at all.
   */
  static async start(
    env: Record<string, string | undefined>,
    cwd = mkdtempSync(join(tmpdir(), 'waba-proc-')),
    entry = MAIN,
    waitFor: 'ready' | 'listening' = 'ready',
  ): Promise<BotProcess> {
    const bot = BotProcess.launch(env, cwd, entry);
    const child = bot.child;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bot exited at start:\n${bot.output.join('')}`);
      try {
        const response = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
        if (response.status === 200 || waitFor === 'listening') return bot;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`bot did not become healthy:\n${bot.output.join('')}`);
      await sleep(50);
    }
  }

  /** Starts the bot (or another `entry` script) without waiting for it: in Socket Mode it serves no /healthz. */
  static launch(
    env: Record<string, string | undefined>,
    cwd = mkdtempSync(join(tmpdir(), 'waba-proc-')),
    entry = MAIN,
  ): BotProcess {
    return new BotProcess(spawnBot(env, cwd, entry), Number(env.PORT));
  }

  /** Runs the bot (or another `entry` script) to completion, for start-up failures; resolves with its exit code. */
  static run(env: Record<string, string | undefined>, entry = MAIN): Promise<{ code: number | null; output: string }> {
    const child = spawnBot(env, mkdtempSync(join(tmpdir(), 'waba-proc-')), entry);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
  }

  /** Resident memory of the process, from /proc (Linux); throws with the process's last words when it has exited. */
  rssMb(): number {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      const how = this.child.signalCode ?? `code ${this.child.exitCode}`;
      throw new Error(`bot ${this.child.pid} exited (${how}); its last output:\n${this.output.join('').slice(-4_000)}`);
    }
    return this.memoryMb().rss;
  }

  /** Resident memory now (`rss`) and at its highest so far (`peak`, VmHWM), in MB, from /proc (Linux). */
  memoryMb(): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
    return { rss: mb('VmRSS'), peak: mb('VmHWM') };
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a signal and waits for the exit code. */
  async signal(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited!;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) await this.signal('SIGKILL');
  }
}

/** `entry` as its own node process: the source through tsx's loader, or a .js file with `npm start`'s flags. */
function spawnBot(env: Record<string, string | undefined>, cwd: string, entry: string): ChildProcess {
  const args = entry.endsWith('.js') ? [...startFlags(), entry] : ['--import', TSX, entry];
  return spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ (`npm run build`) unless it is newer than every file in src/. Test files running in parallel
 * share one build: the first takes a lock directory, the others wait for it.
 */
export async function ensureBuilt(): Promise<string> {
  const lock = join(ROOT, 'dist.build-lock');
  const fresh = () => {
    try {
      return statSync(COMPILED_MAIN).mtimeMs >= newestSource(join(ROOT, 'src'));
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + 120_000; !fresh(); ) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error('waited 2 minutes for another build of dist/');
      await sleep(200);
      continue;
    }
    try {
      if (!fresh()) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return COMPILED_MAIN;
}
