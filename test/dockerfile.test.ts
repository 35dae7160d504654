import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { instructionsOf, lastOf, parseDockerfile, type Stage } from './support/dockerfile.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const dockerfile = parseDockerfile();
const runtime = dockerfile.stages.at(-1)!;
const stageNamed = (name: string): Stage => {
  const stage = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage named ${name}`);
  return stage;
};
const runs = (stage: Stage) => instructionsOf(stage, 'RUN').map((run) => run.text);
/** Where each COPY in a stage puts what, resolved against its WORKDIR: `{ from, sources, destination }`. */
function copies(stage: Stage) {
  let workdir = '/';
  const found: Array<{ from?: string; sources: string[]; destination: string }> = [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.text);
    if (instruction.keyword !== 'COPY') continue;
    const words = instruction.exec ?? instruction.text.split(/\s+/);
    const destination = posix.resolve(workdir, words.at(-1)!);
    found.push({ from: instruction.flags.from, sources: words.slice(0, -1), destination });
  }
  return { workdir, found };
}
/** ENV instructions as one map (`ENV A=1 B=2`). */
function envOf(stage: Stage): Record<string, string> {
  return Object.fromEntries(
    instructionsOf(stage, 'ENV').flatMap((env) => [...env.text.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
  );
}

describe('the Dockerfile is the production install path', () => {
  it('builds every stage on one Node image that package.json allows and CI tests (20 or 24), on Debian', () => {
    const images = new Set(dockerfile.stages.map((stage) => stage.from));
    expect([...images]).toHaveLength(1);
    const [image] = images;
    const major = Number(/^node:(\d+)-bookworm-slim$/.exec(image!)?.[1]);
    expect([20, 24]).toContain(major);
    expect(Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1])).toBeLessThanOrEqual(major);
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runtime']);
  });

  it('compiles dist/ as `npm run build` does, from exactly the files the build reads', () => {
    const build = stageNamed('build');
    expect(runs(build).at(-1)).toBe('npm run build');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      extends: string;
      include: string[];
    };
    const copied = copies(build).found.flatMap((copy) => copy.sources);
    expect(copied.sort()).toEqual(
      [
        'package.json',
        'package-lock.json',
        'tsconfig.build.json',
        posix.normalize(tsconfig.extends),
        ...tsconfig.include,
      ]
        .map((path) => path.replace(/^\.\//, ''))
        .sort(),
    );
    // The lock file decides what is installed, before any source is there.
    const install = build.instructions.findIndex((step) => step.keyword === 'RUN' && step.text.startsWith('npm ci'));
    const source = build.instructions.findIndex((step) => step.keyword === 'COPY' && step.text.startsWith('src'));
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(source);
  });

  it('installs the production dependencies alone with `npm ci --omit=dev`, from package.json and the lock file', () => {
    const deps = stageNamed('deps');
    const installs = runs(deps).filter((run) => /\bnpm (ci|install|i)\b/.test(run));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev\b/);
    expect(copies(deps).found.flatMap((copy) => copy.sources)).toEqual(['package.json', 'package-lock.json']);
  });

  it('ships package.json, the lock file, the production node_modules and dist/, and nothing else', () => {
    const { workdir, found } = copies(runtime);
    expect(found).toEqual([
      { from: 'deps', sources: ['/app/node_modules'], destination: `${workdir}/node_modules` },
      { from: 'build', sources: ['/app/dist'], destination: `${workdir}/dist` },
      { sources: ['package.json', 'package-lock.json'], destination: workdir },
    ]);
    // Each stage works in the folder the runtime copies from.
    expect(copies(stageNamed('deps')).workdir).toBe('/app');
    expect(copies(stageNamed('build')).workdir).toBe('/app');
    // Nothing is installed or compiled in the image that runs.
    expect(runs(runtime).join('\n')).not.toMatch(/\bnpm\b|\bnode-gyp\b|\btsc\b/);
    expect(envOf(runtime).NODE_ENV).toBe('production');
  });

  it('runs as a non-root user, who owns the SQLite store’s folder (a volume)', () => {
    const user = lastOf(runtime, 'USER')?.text;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const userIndex = runtime.instructions.findIndex((step) => step.keyword === 'USER');
    const command = runtime.instructions.findIndex((step) => step.keyword === 'CMD');
    expect(userIndex).toBeLessThan(command);

    // The default STORE_URL is relative to the working directory.
    const { storeUrl } = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      META_ACCESS_TOKEN: 'm',
      WABA_ID: '1',
      META_BUSINESS_ID: '2',
      APPROVER_IDS: 'U0001',
    });
    const dataDir = posix.resolve(copies(runtime).workdir, dirname(storeUrl.replace(/^sqlite:\/\//, '')));
    expect(lastOf(runtime, 'VOLUME')?.exec).toEqual([dataDir]);
    const relative = posix.relative(copies(runtime).workdir, dataDir);
    expect(runs(runtime)).toContain(`mkdir ${relative} && chown ${user}:${user} ${relative}`);
  });

  it('starts node itself as tini’s child, with `npm start`’s flags, so SIGTERM and SIGHUP reach the bot', () => {
    expect(lastOf(runtime, 'ENTRYPOINT')?.exec).toEqual(['/usr/bin/tini', '--']);
    expect(runs(runtime).some((run) => /apt-get install -y --no-install-recommends tini\b/.test(run))).toBe(true);
    // Exec form: a shell between tini and node would not pass signals on.
    const command = lastOf(runtime, 'CMD');
    expect(command?.exec).toBeDefined();
    expect(command!.exec).toEqual(pkg.scripts.start!.split(/\s+/));
    expect(command!.exec![0]).toBe('node');
  });

  it('checks health on /healthz at the port the bot listens on, and exposes that port', () => {
    const health = lastOf(runtime, 'HEALTHCHECK');
    expect(health?.exec?.join(' ')).toMatch(/\/healthz/);
    expect(health?.exec?.join(' ')).toMatch(/\$\{PORT:-3000\}/);
    for (const flag of ['interval', 'timeout', 'start-period', 'retries']) expect(health?.flags[flag]).toBeDefined();
    expect(envOf(runtime).PORT).toBe('3000');
    expect(lastOf(runtime, 'EXPOSE')?.text).toBe(envOf(runtime).PORT);
  });

  it('keeps secrets, local state and tooling out of the build context, but not what the build copies', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const ignored = (path: string) => {
      let result = false;
      for (const pattern of patterns) {
        const negated = pattern.startsWith('!');
        const glob = new RegExp(
          `^${(negated ? pattern.slice(1) : pattern).replace(/[.+^$()|[\]{}]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`,
        );
        if (glob.test(path)) result = !negated;
      }
      return result;
    };
    for (const path of ['.env', '.env.production', 'node_modules', 'dist', 'data/waba-access.sqlite', '.git']) {
      expect(ignored(path), path).toBe(true);
    }
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const fromContext = dockerfile.stages.flatMap((stage) =>
      copies(stage)
        .found.filter((copy) => !copy.from)
        .flatMap((copy) => copy.sources),
    );
    for (const source of fromContext) {
      expect(ignored(source), source).toBe(false);
      expect(
        tracked.some((file) => file === source || file.startsWith(`${source}/`)),
        source,
      ).toBe(true);
    }
  });
});
