/**
 * The environment uv runs with: the user's own (UV_*, proxies, CA files reach uv unchanged)
 * plus the three folders that keep every tool, link and Python under CARAPACE_HOME.
 */
import { delimiter } from 'node:path';
import type { Layout } from '../adapters/layout.ts';

export function uvEnvironment(layout: Layout, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  out.UV_TOOL_DIR = layout.toolDir;
  out.UV_TOOL_BIN_DIR = layout.toolBinDir;
  out.UV_PYTHON_INSTALL_DIR = layout.pythonDir;
  // Our bin folder is private (callers run sky by its full path); on PATH for uv's children,
  // it also keeps uv from warning that it is not, a warning users could do nothing about.
  out.PATH = out.PATH ? `${layout.toolBinDir}${delimiter}${out.PATH}` : layout.toolBinDir;
  // Progress bars are for terminals; we read uv's stderr line by line.
  out.UV_NO_PROGRESS ??= '1';
  // NODE_EXTRA_CA_CERTS is how Node users name a corporate CA; uv reads SSL_CERT_FILE.
  if (!out.SSL_CERT_FILE && out.NODE_EXTRA_CA_CERTS) out.SSL_CERT_FILE = out.NODE_EXTRA_CA_CERTS;
  return out;
}
