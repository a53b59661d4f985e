/**
 * Where everything lives under CARAPACE_HOME (see shared product contract). One function so
 * the actors, the CLI and the tests agree on every path. Paths are joined by hand: `home` is
 * already absolute and normalised (settings.ts), and node:path would cost `status` about 1 ms
 * to load.
 */

export interface Layout {
  home: string;
  uvBinDir: string;
  uv: string;
  uvx: string;
  toolsDir: string;
  /** UV_TOOL_BIN_DIR: where uv links `sky`. */
  toolBinDir: string;
  /**
   * UV_TOOL_DIR as the contract names it: a symlink to the current generation
   * (`generations/<id>`), switched by rename(2) so it always names a whole, verified one.
   */
  toolDir: string;
  /** One folder per built tool environment set: `<id>/<package>/` plus its own `bin/` (actors/generations.ts). */
  generationsDir: string;
  /** A symlink to the generation that was current before the last switch, for `rollback`. */
  previousLink: string;
  /** UV_PYTHON_INSTALL_DIR: uv-managed Pythons. */
  pythonDir: string;
  sky: string;
  /** Work in progress; never a final path. Same file system as the final paths, so rename is atomic. */
  stagingDir: string;
  logsDir: string;
  lockFile: string;
  cacheDir: string;
  /** uv's version by uv build (check.ts), so a fresh `status` process never runs uv. */
  uvVersionCache: string;
}

export function layoutOf(home: string): Layout {
  const base = home.endsWith('/') ? home.slice(0, -1) : home;
  const toolsDir = `${base}/tools`;
  const uvBinDir = `${base}/uv/bin`;
  const cacheDir = `${base}/cache`;
  return {
    home,
    uvBinDir,
    uv: `${uvBinDir}/uv`,
    uvx: `${uvBinDir}/uvx`,
    toolsDir,
    toolBinDir: `${toolsDir}/bin`,
    toolDir: `${toolsDir}/environments`,
    generationsDir: `${toolsDir}/generations`,
    previousLink: `${toolsDir}/previous`,
    pythonDir: `${base}/python`,
    sky: `${toolsDir}/bin/sky`,
    stagingDir: `${base}/staging`,
    logsDir: `${base}/logs`,
    lockFile: `${base}/install.lock`,
    cacheDir,
    uvVersionCache: `${cacheDir}/uv-version.json`,
  };
}
