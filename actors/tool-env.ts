/**
 * Reads SkyPilot's tool environment the way uv lays it out (uv-receipt.toml, the venv's
 * dist-info METADATA, the `sky` link in UV_TOOL_BIN_DIR) without starting Python: status
 * is asked often and `import sky` costs 0.5 to 1 s.
 *
 * The calls are synchronous on purpose: a dozen metadata reads of tiny local files take
 * about 0.1 ms that way, while the first asynchronous call of a fresh process starts the
 * runtime's I/O thread pool and costs milliseconds, which is most of a `status` process.
 */
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Layout } from '../adapters/layout.ts';
import { packageNameOf, parseReceipt } from './requirement.ts';

export interface ToolEnvReport {
  /** The environment folder the `sky` link points into, or the one named by the spec. */
  envDir: string | null;
  version: string | null;
  /** True when `sky` resolves, its interpreter exists and both are executable. */
  runnable: boolean;
  /** Why an existing install cannot run; null when healthy or when nothing is installed. */
  problem: string | null;
  /** The text of `uv-receipt.toml` of a runnable environment, read once for every use. */
  receipt: string | null;
}

function exists(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/** Version from the environment's dist-info METADATA (`Version:` header). */
export async function distVersion(envDir: string, name: string): Promise<string | null> {
  const prefix = name.replace(/-/g, '_').toLowerCase() + '-';
  let libs: string[];
  try {
    libs = readdirSync(join(envDir, 'lib')).filter((d) => d.startsWith('python'));
  } catch {
    return null;
  }
  for (const lib of libs) {
    const site = join(envDir, 'lib', lib, 'site-packages');
    let entries: string[] = [];
    try {
      entries = readdirSync(site);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.endsWith('.dist-info') || !entry.toLowerCase().startsWith(prefix)) continue;
      try {
        const metadata = readFileSync(join(site, entry, 'METADATA'), 'utf8');
        const version = /^Version:\s*(\S+)/m.exec(metadata)?.[1];
        if (version) return version;
      } catch {
        // A dist-info without METADATA is not the one we want.
      }
    }
  }
  return null;
}

function readReceipt(envDir: string): string | null {
  try {
    return readFileSync(join(envDir, 'uv-receipt.toml'), 'utf8');
  } catch {
    return null;
  }
}

/** Why `path` (a script) cannot start, or null when its interpreter is there and runnable. */
async function interpreterProblem(path: string): Promise<string | null> {
  if (!isExecutable(path)) return `${path} is not executable`;
  const line = firstLine(path);
  if (!line.startsWith('#!')) return null; // a native binary
  const interpreter = line.slice(2).trim().split(/\s+/)[0] ?? '';
  if (!isAbsolute(interpreter)) return null;
  // `/usr/bin/env python` style shebangs resolve at run time; only a missing env is a problem.
  try {
    const real = realpathSync(interpreter);
    if (!isExecutable(real)) return `its interpreter ${real} is not executable`;
  } catch {
    return `its interpreter ${interpreter} is missing`;
  }
  return null;
}

export async function inspectToolEnv(layout: Layout, spec: string): Promise<ToolEnvReport> {
  const specName = packageNameOf(spec);
  let linkTarget: string | null = null;
  try {
    linkTarget = resolve(layout.toolBinDir, readlinkSync(layout.sky));
  } catch (error) {
    // EINVAL: `sky` is a regular file, not a link; uv on Unix always links.
    if ((error as NodeJS.ErrnoException).code === 'EINVAL') linkTarget = layout.sky;
  }
  const envFromLink = linkTarget && linkTarget !== layout.sky ? dirname(dirname(linkTarget)) : null;
  const envDir = envFromLink ?? (specName ? join(layout.toolDir, specName) : null);
  const envPresent = envDir !== null && exists(envDir);

  if (linkTarget === null && !envPresent) return { envDir, version: null, runnable: false, problem: null, receipt: null };
  if (linkTarget === null) {
    return { envDir, version: null, runnable: false, problem: `${layout.sky} is missing`, receipt: null };
  }
  if (!envPresent) {
    return { envDir, version: null, runnable: false, problem: `${layout.sky} points to a missing environment`, receipt: null };
  }
  const receipt = readReceipt(envDir!);
  const name = (receipt !== null ? parseReceipt(receipt).requirement?.name : null) ?? specName;
  const version = name ? await distVersion(envDir!, name) : null;
  if (!exists(linkTarget)) {
    return { envDir, version, runnable: false, problem: `${layout.sky} is a dangling link to ${linkTarget}`, receipt: null };
  }
  // uv writes the receipt last, after the packages and the entry points (install_executables
  // in crates/uv/src/commands/tool/common.rs), and a reinstall deletes the whole environment
  // first: an environment without a receipt is an install that was cut short.
  if (receipt === null) {
    return { envDir, version, runnable: false, problem: `${envDir} has no uv-receipt.toml: an install was interrupted`, receipt: null };
  }
  const problem = await interpreterProblem(linkTarget);
  if (problem) return { envDir, version, runnable: false, problem: `sky cannot start: ${problem}`, receipt: null };
  if (version === null) {
    return { envDir, version, runnable: false, problem: `no ${name ?? 'SkyPilot'} METADATA in ${envDir}`, receipt: null };
  }
  return { envDir, version, runnable: true, problem: null, receipt };
}
