/**
 * The environment uv runs with: the user's own (UV_*, proxies, CA files reach uv unchanged)
 * plus the folders that keep every tool, link, Python and cached wheel under CARAPACE_HOME.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { Layout } from './layout.ts';
import { InstallError } from '../machines/errors.ts';

/**
 * NODE_EXTRA_CA_CERTS adds a CA to the built-in roots; uv has no such variable, and its
 * SSL_CERT_FILE replaces the roots instead. So uv gets a bundle of both: handing it the
 * corporate CA alone would break every host the inspecting proxy does not re-sign.
 */
async function extraCaBundle(layout: Layout, extraFile: string): Promise<string> {
  let extra: string;
  try {
    extra = await readFile(extraFile, 'utf8');
  } catch (error) {
    throw new InstallError('invalid_config', `NODE_EXTRA_CA_CERTS=${extraFile} cannot be read`, { cause: error });
  }
  const bundle = join(layout.cacheDir, 'ca-bundle.pem');
  const staged = `${bundle}.${process.pid}.tmp`;
  await mkdir(layout.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(staged, `${rootCertificates.join('\n')}\n${extra.trim()}\n`, { mode: 0o600 });
  await rename(staged, bundle);
  return bundle;
}

export async function uvEnvironment(layout: Layout, env: Record<string, string | undefined>): Promise<Record<string, string>> {
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
  if (!out.SSL_CERT_FILE && out.NODE_EXTRA_CA_CERTS) out.SSL_CERT_FILE = await extraCaBundle(layout, out.NODE_EXTRA_CA_CERTS);
  return out;
}
