/**
 * No Docker engine runs where the tests do, so this reads the Dockerfile the way the builder
 * would (ARG defaults, build-arg overrides, ENV with ${VAR} expansion, line continuations)
 * and runs its install step and its HEALTHCHECK outside Docker, against the loopback mirror,
 * with the container's paths mapped to the checkout and a temporary home.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { startMirror, type Mirror } from '../../demo/mirror.ts';

const ROOT = resolve(import.meta.dir, '../..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuations joined and comments dropped, as the builder sees them. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === '' && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (pending !== '' && /^\s*#/.test(line)) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    pending += line;
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(pending);
    if (!match) throw new Error(`Dockerfile line ${start}: cannot read "${pending}"`);
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
    pending = '';
  });
  return out;
}

/** `${VAR}` and `$VAR` from the build's variables; unknown names expand to nothing. */
function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => vars[a ?? b] ?? '');
}

/** ENV k=v pairs; values may be quoted. */
function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map(([, k, v]) => [k!, v!.startsWith('"') ? JSON.parse(v!) : v!]);
}

interface Build {
  instructions: Instruction[];
  /** The environment a RUN sees at the install step, with container paths mapped. */
  env: Record<string, string>;
  home: string;
  install: Instruction;
  healthcheck: string;
  user: string | null;
}

/** Replays ARG/ENV/USER up to the install step, the way `docker build --build-arg` would. */
function replay(instructions: Instruction[], buildArgs: Record<string, string>, map: (p: string) => string): Build {
  const vars: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  let user: string | null = null;
  let install: Instruction | undefined;
  let envAtInstall: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.keyword === 'ARG') {
      const [name, ...rest] = ins.args.split('=');
      const value = buildArgs[name!] ?? (rest.length > 0 ? rest.join('=') : undefined);
      if (value !== undefined) vars[name!] = value;
    } else if (ins.keyword === 'ENV') {
      const pairs = envPairs(ins.args);
      // Docker expands every pair of one ENV line against the values from before that line.
      const before = { ...vars };
      for (const [k, v] of pairs) vars[k] = map(expand(v, before));
    } else if (ins.keyword === 'USER') {
      user = ins.args;
    } else if (ins.keyword === 'RUN' && /carapace-sky/.test(ins.args) && !install) {
      install = ins;
      envAtInstall = { ...vars };
    }
  }
  const health = instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!install) throw new Error('the Dockerfile has no RUN step that calls carapace-sky');
  if (!health) throw new Error('the Dockerfile has no HEALTHCHECK');
  const cmd = /\bCMD\s+([\s\S]*)$/.exec(health.args);
  return { instructions, env: envAtInstall, home: envAtInstall.CARAPACE_HOME!, install, healthcheck: cmd![1]!, user };
}

/** An exec-form (JSON array) instruction's argv, or null for the shell form. */
function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const argv = JSON.parse(args);
  expect(Array.isArray(argv) && argv.every((a: unknown) => typeof a === 'string')).toBe(true);
  return argv;
}

async function which(name: string, path: string): Promise<string> {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, name);
    if (await access(candidate).then(() => true, () => false)) return candidate;
  }
  throw new Error(`${name} is not on the image's PATH (${path})`);
}

let mirror: Mirror;
let instructions: Instruction[];

beforeAll(async () => {
  mirror = await startMirror();
  instructions = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
});
afterAll(async () => {
  await mirror.close();
});

describe('Dockerfile', () => {
  test('every step that installs uv or SkyPilot goes through carapace-sky, as a non-root user', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN');
    // Anything that fetches or installs uv, Python packages or sky by another road.
    const installsTools = (text: string) => /\b(uvx?|pip3?|pipx|sky|skypilot[\w-]*|astral|curl|wget|python3?)\b/i.test(text);
    const toolSteps = runs.filter((r) => installsTools(r.args) || /carapace-sky/.test(r.args));
    expect(toolSteps.length).toBeGreaterThan(0);
    for (const step of toolSteps) {
      expect({ line: step.line, argv: execForm(step.args) }).toEqual({ line: step.line, argv: ['carapace-sky', 'install'] });
    }
    const installAt = instructions.indexOf(toolSteps[0]!);
    const userBefore = instructions.slice(0, installAt).filter((i) => i.keyword === 'USER').at(-1);
    expect(userBefore?.args).toBe('node');
    const envBefore = instructions.slice(0, installAt).filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(envBefore).toMatch(/\bCARAPACE_HOME=\//);
  });

  test('declares build args for the uv version and download base, a status HEALTHCHECK and the serve CMD', () => {
    const args = instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=')[0]);
    expect(args).toEqual(expect.arrayContaining(['CARAPACE_UV_VERSION', 'CARAPACE_UV_DOWNLOAD_BASE', 'CARAPACE_UV_SHA256']));
    const health = instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    expect(health.args).toContain('carapace-sky status --json');
    const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1)!;
    expect(execForm(cmd.args)?.slice(0, 2)).toEqual(['carapace-sky', 'serve']);
    expect(instructions[0]?.keyword === 'ARG' || instructions[0]?.keyword === 'FROM').toBe(true);
  });

  test('.dockerignore keeps the host node_modules and git history out of the build context', async () => {
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git']));
  });

  test('the install step, run outside Docker with the same ARGs and ENV, installs from the mirror; HEALTHCHECK follows', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'carapace-docker-'));
    // Container paths: the app's WORKDIR is this checkout, the user's home a temporary folder.
    const workdir = instructions.find((i) => i.keyword === 'WORKDIR')!.args;
    const map = (value: string) => value.split(workdir).join(ROOT).split('/home/node').join(scratch);
    const build = replay(instructions, { CARAPACE_UV_DOWNLOAD_BASE: mirror.base, CARAPACE_UV_SHA256: mirror.sha256() }, map);
    expect(build.home).toBe(join(scratch, '.carapace'));
    expect(build.env.CARAPACE_UV_VERSION).toBe('0.10.2');
    expect(build.env.CARAPACE_UV_DOWNLOAD_BASE).toBe(mirror.base);

    // Docker runs a shell-form HEALTHCHECK with /bin/sh -c, so this does too.
    const health = () => execa('/bin/sh', ['-c', build.healthcheck], { env: build.env, extendEnv: false, reject: false, timeout: 60_000 });
    expect((await health()).exitCode).not.toBe(0);

    const [command, ...args] = execForm(build.install.args)!;
    const before = mirror.downloads();
    const run = await execa(await which(command!, build.env.PATH!), args, {
      env: { ...build.env, CI: '1' },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
      stdin: 'ignore',
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(String(run.stdout)).toContain('==> SkyPilot ready: ');
    expect(mirror.downloads()).toBe(before + 1);
    await access(join(build.home, 'tools/environments/skypilot-nightly/uv-receipt.toml'));
    await access(join(build.home, 'uv/bin/uv'));

    expect((await health()).exitCode).toBe(0);
  }, 180_000);
});
