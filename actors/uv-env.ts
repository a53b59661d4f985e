/**
 * The environment uv runs with: the user's own (UV_*, proxies reach uv unchanged; CA files as one bundle)
 * plus the folders that keep every tool, link, Python and cached wheel under CARAPACE_HOME.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { trustPlan } from './download/ca.ts';
import type { Layout } from './layout.ts';

/** Where uv's CA bundle goes when it needs one (see download/ca.ts). */
export function uvCaBundlePath(layout: Layout): string {
  return join(layout.cacheDir, 'ca-bundle.pem');
}

/**
 * uv reads only SSL_CERT_FILE, which replaces its roots; NODE_EXTRA_CA_CERTS and SSL_CERT_DIR
 * add to them for the download. So uv gets one file of everything the download trusted:
 * handing it the corporate CA alone would break every host the proxy does not re-sign, and
 * leaving it out would fail uv's index and Python downloads after the uv download passed.
 */
async function caBundle(layout: Layout, certs: string[]): Promise<string> {
  const path = uvCaBundlePath(layout);
  const staged = `${path}.${process.pid}.tmp`;
  await mkdir(layout.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(staged, `${certs.map((c) => c.trim()).join('\n')}\n`, { mode: 0o600 });
  await rename(staged, path);
  return path;
}

/** `0.11.3` → [0, 11]; null for anything else. */
function minorOf(version: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * uv 0.11 renamed UV_NATIVE_TLS (use the platform's certificates) to UV_SYSTEM_CERTS and
 * deprecated the old name (uv-skypilot-facts.md, uv release lines). A user who set either
 * means the same thing whichever uv the product installed, so that uv gets the name it reads,
 * with the user's value, and not the other (an older uv ignores the new name; a newer one
 * warns on the old). Unknown version: both names, as the user's environment had them.
 */
function tlsVariables(out: Record<string, string>, uvVersion: string | null | undefined): void {
  const value = out.UV_SYSTEM_CERTS ?? out.UV_NATIVE_TLS;
  const minor = uvVersion ? minorOf(uvVersion) : null;
  if (value === undefined || minor === null) return;
  const readsSystemCerts = minor[0] > 0 || minor[1] >= 11;
  const [wanted, other] = readsSystemCerts ? ['UV_SYSTEM_CERTS', 'UV_NATIVE_TLS'] : ['UV_NATIVE_TLS', 'UV_SYSTEM_CERTS'];
  out[wanted] ??= value;
  delete out[other];
}

/** `uvVersion`: the installed uv's, which decides the TLS variable's name (unknown: passed as given). */
export async function uvEnvironment(
  layout: Layout,
  env: Record<string, string | undefined>,
  uvVersion?: string | null,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  out.UV_TOOL_DIR = layout.toolDir;
  out.UV_TOOL_BIN_DIR = layout.toolBinDir;
  out.UV_PYTHON_INSTALL_DIR = layout.pythonDir;
  // uv's wheel cache (well over 100 MB for SkyPilot) stays in CARAPACE_HOME with the rest,
  // so `uninstall --all` takes it too; a UV_CACHE_DIR of the user's own still wins.
  out.UV_CACHE_DIR ??= join(layout.cacheDir, 'uv');
  // Our bin folder is private (callers run sky by its full path); on PATH for uv's children,
  // it also keeps uv from warning that it is not, a warning users could do nothing about.
  out.PATH = out.PATH ? `${layout.toolBinDir}${delimiter}${out.PATH}` : layout.toolBinDir;
  // Progress bars are for terminals; we read uv's stderr line by line.
  out.UV_NO_PROGRESS ??= '1';
  // The promise is "no system Python": by default uv binds the tool environment to a pyenv,
  // Homebrew or distribution Python it finds, and SkyPilot breaks when that one is removed or
  // upgraded. only-managed makes uv use, and download, its own Pythons (uv-skypilot-facts.md).
  // A preference of the user's own is theirs to choose.
  out.UV_PYTHON_PREFERENCE ??= 'only-managed';
  tlsVariables(out, uvVersion);
  const trust = await trustPlan(env);
  if (trust.needsBundle && trust.certs) out.SSL_CERT_FILE = await caBundle(layout, trust.certs);
  return out;
}
