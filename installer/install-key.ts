/**
 * What an install installs, as one digest: the SkyPilot spec, the Python, the uv version and
 * every source (uv's download bases and pinned digest, the package and Python indexes). A
 * process that waited behind another's lock takes that attempt's failure as its own only
 * when the keys match; with other settings the failure says nothing about its own install.
 */
import { createHash } from 'node:crypto';
import type { InstallSettings } from '../machines/types.ts';

/** Variables that choose where uv downloads packages and Pythons from (uv-skypilot-facts.md). */
const SOURCE_VARS = ['UV_DEFAULT_INDEX', 'UV_INDEX_URL', 'UV_EXTRA_INDEX_URL', 'UV_PYTHON_INSTALL_MIRROR', 'UV_FIND_LINKS'];

/** A digest, not the values: the record it goes into sits in CARAPACE_HOME, and index URLs can hold tokens. */
export function installKey(settings: InstallSettings): string {
  const what = {
    spec: settings.skypilot_spec,
    python: settings.python,
    uv: settings.uv_version,
    bases: settings.download_bases,
    sha256: settings.uv_sha256,
    sources: SOURCE_VARS.map((name) => settings.env[name] ?? null),
  };
  return createHash('sha256').update(JSON.stringify(what)).digest('hex');
}
