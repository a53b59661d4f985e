/**
 * Reads SkyPilot's tool environment the way uv lays it out (uv-receipt.toml, the venv's
 * dist-info METADATA, the `sky` entry point linked into UV_TOOL_BIN_DIR) without starting
 * Python: status is asked often and `import sky` costs 0.5 to 1 s.
 *
 * A working install is read with Bun's own file calls only: `status` is a fresh process
 * each time it is asked, and loading node:fs alone costs about 2 ms there, more than all the
 * reads together (docs/performance.md); only a broken install loads it, to say what broke. Reads are Bun.file (not Bun.mmap: a mapping stays until garbage
 * collection, and `sky` cannot be executed while it is mapped: ETXTBSY); the executable
 * checks are Bun.which. Bun has no readlink, so the environment is found the way the kernel
 * finds it when `sky` runs: from the interpreter the entry point's shebang names.
 */
import type { Layout } from './layout.ts';

export interface ToolEnvReport {
  /** The environment `sky` runs in, or the one named by the spec when `sky` cannot be read. */
  envDir: string | null;
  version: string | null;
  /** True when `sky` resolves, its interpreter exists and both are executable. */
  runnable: boolean;
  /** Why an existing install cannot run; null when healthy or when nothing is installed. */
  problem: string | null;
  /** The text of `uv-receipt.toml` of a runnable environment, read once for every use. */
  receipt: string | null;
}

/** A small file's text (its first `bytes` bytes), or null when it cannot be read. */
export async function readText(path: string, bytes?: number): Promise<string | null> {
  try {
    const file = Bun.file(path);
    return await (bytes === undefined ? file : file.slice(0, bytes)).text();
  } catch {
    return null; // missing, a folder, or unreadable
  }
}

/** An executable file for this user, after links: Bun.which answers that for an absolute path, synchronously. */
function isExecutable(path: string): boolean {
  return Bun.which(path) !== null;
}

const TRAMPOLINE = /^'''exec' '((?:[^']|'\\'')+)' "\$0" "\$@"$/;

/**
 * The interpreter a script's first lines name, or null for a native binary. uv writes
 * `#!<env>/bin/python`, or, when that line would pass 127 bytes or holds a space, a
 * `/bin/sh` trampoline whose second line is `'''exec' '<env>/bin/python' "$0" "$@"`
 * (format_shebang in crates/uv-install-wheel/src/wheel.rs).
 */
export function scriptInterpreter(head: string): string | null {
  if (!head.startsWith('#!')) return null;
  const [first = '', second = ''] = head.split('\n', 2);
  const interpreter = first.slice(2).trim().split(/\s+/)[0] ?? '';
  const wrapped = interpreter === '/bin/sh' ? TRAMPOLINE.exec(second) : null;
  return wrapped?.[1] ? wrapped[1].replaceAll(`'\\''`, `'`) : interpreter || null;
}

/** `<env>/bin/python3.12` → `<env>`; null for any other interpreter (`/usr/bin/env`, `/bin/sh`). */
export function envOfInterpreter(interpreter: string): string | null {
  return /^(\/.+)\/bin\/python[\d.]*$/.exec(interpreter)?.[1] ?? null;
}

/** What the environment's site-packages say: the tool's version (its METADATA `Version:`) and whether pip is there. */
interface DistInfo {
  version: string | null;
  pip: boolean;
}

/**
 * One scan of site-packages answers both: it lists the dist-info folders (pip's is matched in
 * the same walk, and no folder is opened but the tool's, to read its METADATA), so checking
 * pip costs `status` no file operation of its own (docs/performance.md).
 */
async function distInfo(envDir: string, name: string): Promise<DistInfo> {
  // Wheel dist-info folders use the name with `_` for `-`; older ones keep their own case.
  const dist = name.replace(/[-_.]+/g, '_').toLowerCase();
  const exact = new Bun.Glob(`lib/python*/site-packages/{${dist}-*,pip-*}.dist-info`);
  const any = new Bun.Glob('lib/python*/site-packages/*.dist-info');
  let pip = false;
  for (const glob of [exact, any]) {
    let found: string[];
    try {
      found = [...glob.scanSync({ cwd: envDir, onlyFiles: false })];
    } catch {
      return { version: null, pip }; // no environment folder
    }
    pip ||= found.some((folder) => folder.split('/')[3]?.startsWith('pip-'));
    for (const path of found) {
      const folder = path.split('/')[3] ?? '';
      if (folder.slice(0, folder.indexOf('-')).replace(/[-_.]+/g, '_').toLowerCase() !== dist) continue;
      const version = /^Version:\s*(\S+)/m.exec((await readText(`${envDir}/${path}/METADATA`)) ?? '')?.[1];
      if (version) return { version, pip };
    }
  }
  return { version: null, pip };
}

/** Whether anything (a file, a folder) is at `path`, after links. */
async function exists(path: string): Promise<boolean> {
  return Bun.file(path)
    .stat()
    .then(() => true, () => false);
}

/**
 * `sky` does not resolve: tell a dangling link from no link, and whether the environment is
 * there. Bun cannot look at a link itself, so node:fs is loaded when a link may be there;
 * a machine that never installed has no tools/bin folder and is answered without it.
 */
async function unreadableSky(layout: Layout, specEnv: string | null): Promise<ToolEnvReport> {
  const [envPresent, binPresent] = await Promise.all([specEnv !== null && exists(specEnv), exists(layout.toolBinDir)]);
  const report = (problem: string | null): ToolEnvReport => ({ envDir: specEnv, version: null, runnable: false, problem, receipt: null });
  const missing = () => report(envPresent ? `${layout.sky} is missing` : null);
  if (!binPresent) return missing();
  const { lstatSync, readlinkSync } = await import('node:fs');
  const link = lstatSync(layout.sky, { throwIfNoEntry: false });
  if (!link) return missing();
  if (!link.isSymbolicLink()) return report(`${layout.sky} cannot be read`);
  let target = '';
  try {
    target = readlinkSync(layout.sky);
  } catch {
    // Replaced since the lstat; the next check sees what is there now.
  }
  return report(envPresent ? `${layout.sky} is a dangling link to ${target}` : `${layout.sky} points to a missing environment (${target})`);
}

/** The environment uv makes for the requirement: UV_TOOL_DIR/<normalised name>. */
async function specEnvOf(layout: Layout, spec: string): Promise<string | null> {
  // Needed only when `sky` does not name its environment, so loaded only then.
  const { packageNameOf } = await import('./requirement.ts');
  const name = packageNameOf(spec);
  return name ? `${layout.toolDir}/${name}` : null;
}

export async function inspectToolEnv(layout: Layout, spec: string): Promise<ToolEnvReport> {
  const head = await readText(layout.sky, 1024);
  if (head === null) return unreadableSky(layout, await specEnvOf(layout, spec));

  const interpreter = scriptInterpreter(head);
  const envDir = (interpreter && envOfInterpreter(interpreter)) ?? (await specEnvOf(layout, spec));
  if (envDir === null) return { envDir, version: null, runnable: false, problem: `${layout.sky} is not a uv tool entry point`, receipt: null };
  const receipt = await readText(`${envDir}/uv-receipt.toml`);
  // uv names a tool's environment after its normalised package name.
  const name = envDir.slice(envDir.lastIndexOf('/') + 1);
  const { version, pip } = await distInfo(envDir, name);
  const broken = (problem: string): ToolEnvReport => ({ envDir, version, runnable: false, problem, receipt: null });

  // uv writes the receipt last, after the packages and the entry points (install_executables
  // in crates/uv/src/commands/tool/common.rs), and a reinstall deletes the whole environment
  // first: an environment without a receipt is an install that was cut short.
  if (receipt === null) {
    return broken((await exists(envDir)) ? `${envDir} has no uv-receipt.toml: an install was interrupted` : `${layout.sky} points to a missing environment (${envDir})`);
  }
  if (!isExecutable(layout.sky)) return broken(`sky cannot start: ${layout.sky} is not executable`);
  // With `#!/usr/bin/env python` only env itself can be checked: python is looked up at run time.
  if (interpreter?.startsWith('/') && !isExecutable(interpreter)) {
    const { existsSync } = await import('node:fs'); // a broken install: the cost no longer matters
    return broken(`sky cannot start: its interpreter ${interpreter} is ${existsSync(interpreter) ? 'not executable' : 'missing'}`);
  }
  if (version === null) return broken(`no ${name} METADATA in ${envDir}`);
  // SkyPilot builds wheels for remote clusters with pip (docs.skypilot.co installation page):
  // without it the install works until the first launch, so it counts as broken and is replaced.
  if (!pip) return broken(`no pip in ${envDir}: SkyPilot needs it to launch clusters`);
  return { envDir, version, runnable: true, problem: null, receipt };
}
