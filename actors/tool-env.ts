/**
 * Reads SkyPilot's tool environment the way uv lays it out (uv-receipt.toml, the venv's
 * dist-info METADATA, the `sky` entry point linked into UV_TOOL_BIN_DIR) without starting
 * Python: status is asked often and `import sky` costs 0.5 to 1 s.
 *
 * Reads are synchronous node:fs calls: the trust walk (trust.ts) loads node:fs for lstat on
 * every read anyway, and Bun's asynchronous file calls would add a hop to its I/O threads per
 * file and first-use costs (starting those threads, the glob engine) that are most of a fresh
 * `status` process's own work (docs/performance.md). The executable checks are Bun.which.
 * The environment is found the way the kernel finds it when `sky` runs: from the interpreter
 * the entry point's shebang names.
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

const nodeFs = () => process.getBuiltinModule('node:fs');

/** The most a whole-file read takes (the receipt, METADATA, uv's version cache are a few KB). */
const MAX_TEXT_BYTES = 1024 * 1024;

/**
 * A small regular file's text (at most its first `bytes` bytes), or null when it cannot be
 * read. Opened without blocking, so a FIFO put in place of a file cannot hang a read; a
 * leading BOM is dropped, as Bun.file().text() and TextDecoder do.
 */
export function readText(path: string, bytes = MAX_TEXT_BYTES): string | null {
  const fs = nodeFs();
  let text: string;
  try {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const info = fs.fstatSync(fd);
      // A device (a link to /dev/zero) or a FIFO reports no size and never ends: only a regular
      // file is read, and never more than asked; a receipt, METADATA or cache past 1 MiB is not ours.
      if (!info.isFile() || (bytes === MAX_TEXT_BYTES && info.size > bytes)) return null;
      text = readHead(fd, Math.min(bytes, info.size));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null; // missing, a folder, or unreadable
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function readHead(fd: number, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  return buffer.toString('utf8', 0, nodeFs().readSync(fd, buffer, 0, bytes, 0));
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
 * One listing of site-packages answers both: pip's dist-info folder is matched in it, and no
 * folder is opened but the tool's, to read its METADATA, so checking pip costs `status` no
 * file operation of its own (docs/performance.md). Wheel dist-info folders use the name with
 * `_` for `-`; older ones keep their own case, so an exact match is tried first.
 */
function distInfo(envDir: string, name: string): DistInfo {
  const dist = name.replace(/[-_.]+/g, '_').toLowerCase();
  const fs = nodeFs();
  const folders: string[] = [];
  try {
    // `lib/python*/site-packages/*.dist-info`, as a glob would match it (no links followed at python*).
    for (const python of fs.readdirSync(`${envDir}/lib`, { withFileTypes: true })) {
      if (!python.name.startsWith('python') || !python.isDirectory()) continue;
      const site = `lib/${python.name}/site-packages`;
      try {
        for (const folder of fs.readdirSync(`${envDir}/${site}`)) if (folder.endsWith('.dist-info')) folders.push(`${site}/${folder}`);
      } catch {
        // No site-packages in this one.
      }
    }
  } catch {
    return { version: null, pip: false }; // no environment folder
  }
  const projectOf = (path: string) => {
    const folder = path.slice(path.lastIndexOf('/') + 1);
    return folder.slice(0, folder.indexOf('-'));
  };
  const pip = folders.some((path) => projectOf(path) === 'pip');
  const tool = folders.filter((path) => projectOf(path).replace(/[-_.]+/g, '_').toLowerCase() === dist);
  tool.sort((a, b) => Number(projectOf(a) !== dist) - Number(projectOf(b) !== dist));
  for (const path of tool) {
    const version = /^Version:\s*(\S+)/m.exec(readText(`${envDir}/${path}/METADATA`) ?? '')?.[1];
    if (version) return { version, pip };
  }
  return { version: null, pip };
}

/** Whether anything (a file, a folder) is at `path`, after links. */
function exists(path: string): boolean {
  try {
    return nodeFs().statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/**
 * `sky` does not resolve: tell a dangling link from no link, and whether the environment is
 * there.
 */
function unreadableSky(layout: Layout, specEnv: string | null): ToolEnvReport {
  const envPresent = specEnv !== null && exists(specEnv);
  const binPresent = exists(layout.toolBinDir);
  const report = (problem: string | null): ToolEnvReport => ({ envDir: specEnv, version: null, runnable: false, problem, receipt: null });
  const missing = () => report(envPresent ? `${layout.sky} is missing` : null);
  if (!binPresent) return missing();
  const { lstatSync, readlinkSync } = nodeFs();
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

/**
 * Why an environment that `sky` names cannot run, checked in the order an install breaks. Kept
 * apart from inspectToolEnv: a working install never calls it, and code a process never runs
 * is never compiled (docs/performance.md).
 */
function whyBroken(sky: string, envDir: string, name: string, interpreter: string | null, found: { receipt: boolean; version: string | null; pip: boolean }): string {
  // uv writes the receipt last, after the packages and the entry points (install_executables
  // in crates/uv/src/commands/tool/common.rs), and a reinstall deletes the whole environment
  // first: an environment without a receipt is an install that was cut short.
  if (!found.receipt) return exists(envDir) ? `${envDir} has no uv-receipt.toml: an install was interrupted` : `${sky} points to a missing environment (${envDir})`;
  if (!isExecutable(sky)) return `sky cannot start: ${sky} is not executable`;
  if (interpreter !== null && !interpreterRuns(interpreter)) {
    return `sky cannot start: its interpreter ${interpreter} is ${nodeFs().existsSync(interpreter) ? 'not executable' : 'missing'}`;
  }
  if (found.version === null) return `no ${name} METADATA in ${envDir}`;
  // SkyPilot builds wheels for remote clusters with pip (docs.skypilot.co installation page):
  // without it the install works until the first launch, so it counts as broken and is replaced.
  return `no pip in ${envDir}: SkyPilot needs it to launch clusters`;
}

/** With `#!/usr/bin/env python` only env itself can be checked: python is looked up at run time. */
function interpreterRuns(interpreter: string): boolean {
  return !interpreter.startsWith('/') || isExecutable(interpreter);
}

export async function inspectToolEnv(layout: Layout, spec: string): Promise<ToolEnvReport> {
  const head = readText(layout.sky, 1024);
  if (head === null) return unreadableSky(layout, await specEnvOf(layout, spec));

  const interpreter = scriptInterpreter(head);
  const envDir = (interpreter && envOfInterpreter(interpreter)) ?? (await specEnvOf(layout, spec));
  if (envDir === null) return { envDir, version: null, runnable: false, problem: `${layout.sky} is not a uv tool entry point`, receipt: null };
  const receipt = readText(`${envDir}/uv-receipt.toml`);
  // uv names a tool's environment after its normalised package name.
  const name = envDir.slice(envDir.lastIndexOf('/') + 1);
  const { version, pip } = distInfo(envDir, name);
  if (receipt !== null && isExecutable(layout.sky) && (interpreter === null || interpreterRuns(interpreter)) && version !== null && pip) {
    return { envDir, version, runnable: true, problem: null, receipt };
  }
  const problem = whyBroken(layout.sky, envDir, name, interpreter, { receipt: receipt !== null, version, pip });
  return { envDir, version, runnable: false, problem, receipt: null };
}
