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
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { layoutOf, type Layout } from '../actors/layout.ts';
import { packageNameOf } from '../actors/requirement.ts';
import { resolvePath } from '../actors/trust.ts';
import { envOfInterpreter, readText, scriptInterpreter } from '../actors/tool-env.ts';

export interface StatusPaths {
  /** Each path once, in the order visited: the same disk gives the same list. */
  paths: string[];
  /** The components the home's own path goes through before the home: the trust walk reads them, the check lists none. */
  above: ReadonlySet<string>;
}

/** What `path` is for resolvePath: a link's target, null for anything else, undefined when nothing is reachable there. */
function lookAt(path: string): string | null | undefined {
  try {
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info) return undefined;
    return info.isSymbolicLink() ? readlinkSync(path) : null;
  } catch {
    return undefined; // ENOTDIR (a file where a folder was), EACCES, a link replaced since the lstat
  }
}

/** The paths met while resolving, each component asked once however many paths share it. */
class Walker {
  readonly seen = new Set<string>();
  private readonly found = new Map<string, string | null | undefined>();

  private look(path: string): string | null | undefined {
    if (!this.found.has(path)) this.found.set(path, lookAt(path));
    return this.found.get(path);
  }

  /** Resolves `path`, adding every component visited; what it resolves to, or the first component missing. */
  follow(path: string): { end: string; missing: boolean } {
    const resolved = resolvePath(path, (next) => {
      this.seen.add(next);
      return this.look(next);
    });
    // A loop: the check refuses it, and the links met so far are in the set.
    return { end: resolved.end, missing: resolved.missing || resolved.loop };
  }
}

/**
 * The environment the check reads and the interpreter it tests, as actors/tool-env.ts's
 * inspectToolEnv finds them: from the interpreter `sky`'s first line names, else the spec's.
 */
function envOf(layout: Layout, spec: string): { env: string | null; interpreter: string | null } {
  // Read before the trust check, as the check reads it: without blocking, 1 KiB at most.
  const text = readText(layout.sky, 1024);
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
