/**
 * Where everything lives under CARAPACE_HOME (see shared product contract). One function so
 * the actors, the CLI and the tests agree on every path.
 */
import { join } from 'node:path';

export interface Layout {
  home: string;
  uvBinDir: string;
  uv: string;
  uvx: string;
  toolsDir: string;
  /** UV_TOOL_BIN_DIR: where uv links `sky`. */
  toolBinDir: string;
  /** UV_TOOL_DIR: uv's tool environments. */
  toolDir: string;
  /** UV_PYTHON_INSTALL_DIR: uv-managed Pythons. */
  pythonDir: string;
  sky: string;
  /** Work in progress; never a final path. Same file system as the final paths, so rename is atomic. */
  stagingDir: string;
  logsDir: string;
  lockFile: string;
  cacheDir: string;
}

export function layoutOf(home: string): Layout {
  const toolsDir = join(home, 'tools');
  const uvBinDir = join(home, 'uv', 'bin');
  return {
    home,
    uvBinDir,
    uv: join(uvBinDir, 'uv'),
    uvx: join(uvBinDir, 'uvx'),
    toolsDir,
    toolBinDir: join(toolsDir, 'bin'),
    toolDir: join(toolsDir, 'environments'),
    pythonDir: join(home, 'python'),
    sky: join(toolsDir, 'bin', 'sky'),
    stagingDir: join(home, 'staging'),
    logsDir: join(home, 'logs'),
    lockFile: join(home, 'install.lock'),
    cacheDir: join(home, 'cache'),
  };
}
