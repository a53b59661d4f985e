/**
 * The paths the status answer depends on (installer/status-memo.ts): those the check reads,
 * lists or trust-walks, each followed as the kernel and actors/trust.ts's walk follow it, one
 * component at a time through every link, up to and including the first missing one. Every
 * component visited is in the set, so:
 * - a missing tail is named in the real folder where it would appear: a home that is a link to
 *   a folder not made yet is watched there, not through the link (a link has no entries);
 * - every folder above every link's target is in it, as the trust walk checks each of them;
 * - a link whose target is gone (the environment's `bin/python`, `sky`'s entry point) names the
 *   missing target, so its return is a change too.
 */
import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { layoutOf, type Layout } from '../actors/layout.ts';
import { packageNameOf } from '../actors/requirement.ts';
import { envOfInterpreter, scriptInterpreter } from '../actors/tool-env.ts';

export interface StatusPaths {
  /** Each path once, in the order visited: the same disk gives the same list. */
  paths: string[];
  /** The components the home's own path goes through before the home: the trust walk reads them, the check lists none. */
  above: ReadonlySet<string>;
}

/** More links than this in one path is a loop (Linux's MAXSYMLINKS, as actors/trust.ts). */
const MAX_LINKS = 40;

/** What one lstat found: nothing reachable, a link and its target, or anything else. */
type Found = null | { link: string } | 'there';

function lookAt(path: string): Found {
  try {
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info) return null;
    return info.isSymbolicLink() ? { link: readlinkSync(path) } : 'there';
  } catch {
    return null; // ENOTDIR (a file where a folder was), EACCES, a link replaced since the lstat
  }
}

/** The paths met while resolving, each component asked once however many paths share it. */
class Walker {
  readonly seen = new Set<string>();
  private readonly found = new Map<string, Found>();

  private look(path: string): Found {
    if (!this.found.has(path)) this.found.set(path, lookAt(path));
    return this.found.get(path) ?? null;
  }

  /** Resolves `path`, adding every component visited; what it resolves to, or the first component missing. */
  follow(path: string): { end: string; missing: boolean } {
    const parts = path.split('/').filter(Boolean);
    let done = '';
    for (let links = 0; parts.length > 0; ) {
      const name = parts.shift() as string;
      if (name === '.') continue;
      if (name === '..') {
        done = done.slice(0, done.lastIndexOf('/'));
        continue;
      }
      const next = `${done}/${name}`;
      this.seen.add(next);
      const found = this.look(next);
      if (found === null) return { end: next, missing: true };
      if (found === 'there') {
        done = next;
        continue;
      }
      // A loop: the check refuses it, and the links met so far are in the set.
      if (++links > MAX_LINKS) return { end: next, missing: true };
      parts.unshift(...found.link.split('/').filter(Boolean));
      if (found.link.startsWith('/')) done = '';
    }
    return { end: done || '/', missing: false };
  }
}

/** The first 1 KiB of `path`, or null when it cannot be read, as tool-env.ts's readText. */
function head(path: string): string | null {
  let fd: number;
  try {
    // Read before the trust check: a FIFO put there must not block the server's one thread.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const bytes = Buffer.alloc(1024);
    return bytes.toString('utf8', 0, readSync(fd, bytes, 0, bytes.length, 0));
  } catch {
    return null; // a folder (EISDIR), a FIFO (ESPIPE)
  } finally {
    closeSync(fd);
  }
}

/**
 * The environment the check reads and the interpreter it tests, as actors/tool-env.ts's
 * inspectToolEnv finds them: from the interpreter `sky`'s first line names, else the spec's.
 */
function envOf(layout: Layout, spec: string): { env: string | null; interpreter: string | null } {
  const text = head(layout.sky);
  const interpreter = text === null ? null : scriptInterpreter(text);
  const named = interpreter ? envOfInterpreter(interpreter) : null;
  const name = named ? null : packageNameOf(spec);
  return { env: named ?? (name ? `${layout.toolDir}/${name}` : null), interpreter };
}

export function statusPaths(home: string, spec: string): StatusPaths {
  const walker = new Walker();
  const base = home.length > 1 && home.endsWith('/') ? home.slice(0, -1) : home;
  const resolved = walker.follow(base);
  const above = new Set([...walker.seen].filter((path) => path !== resolved.end));
  if (resolved.missing) return { paths: [...walker.seen], above };
  // The check works in the resolved home (actors/trust.ts's trustedHome), as the paths here do.
  const layout = layoutOf(resolved.end);
  for (const path of [layout.uv, layout.toolDir, layout.generationsDir, layout.sky, layout.pythonDir]) walker.follow(path);
  const { env, interpreter } = envOf(layout, spec);
  if (env === null) return { paths: [...walker.seen], above };
  // `bin/python` is what the trust walk follows, the shebang's interpreter what the check runs.
  for (const path of [`${env}/bin/python`, `${env}/uv-receipt.toml`, ...(interpreter?.startsWith('/') ? [interpreter] : [])]) walker.follow(path);
  const lib = walker.follow(`${env}/lib`);
  if (!lib.missing) {
    try {
      // The check's glob lists lib/python*/site-packages; a new python folder is an entry of lib.
      for (const python of readdirSync(lib.end)) walker.follow(`${lib.end}/${python}/site-packages`);
    } catch {
      // Not a folder: the check finds no METADATA there.
    }
  }
  return { paths: [...walker.seen], above };
}
