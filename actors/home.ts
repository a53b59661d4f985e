/**
 * Creates CARAPACE_HOME private to the user (0700): it holds credentials' neighbours
 * (SkyPilot state, logs) and executables other users must not be able to swap.
 */
import { chmod, mkdir } from 'node:fs/promises';
import type { Layout } from './layout.ts';

export async function ensureHome(layout: Layout): Promise<void> {
  const created = await mkdir(layout.home, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by umask; set it explicitly when we made the folder.
  if (created !== undefined) await chmod(layout.home, 0o700);
}
