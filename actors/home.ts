/**
 * Creates CARAPACE_HOME private to the user (0700): it holds credentials' neighbours
 * (SkyPilot state, logs) and executables other users must not be able to swap.
 */
import { chmod, mkdir } from 'node:fs/promises';
import type { Layout } from './layout.ts';
import { InstallError } from '../machines/errors.ts';

export async function ensureHome(layout: Layout): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(layout.home, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST: the home itself is a file; ENOTDIR: a folder on its way is one. A setting to
    // fix, not a bug, and never ours to remove.
    const code = (error as { code?: unknown }).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
    throw new InstallError('invalid_config', `CARAPACE_HOME=${layout.home} is not a folder: it or a folder above it is a file`, {
      cause: error,
    });
  }
  // mkdir's mode is masked by umask; set it explicitly when we made the folder.
  if (created !== undefined) await chmod(layout.home, 0o700);
}
