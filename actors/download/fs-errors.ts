/**
 * File-system failures while staging uv, named with the path they hit: the runtime's
 * ENOSPC on a write does not say where, and "which disk is full" is the whole hint.
 */
import { classifyError, InstallError } from '../../machines/errors.ts';

/** Codes that no other source or retry can fix. */
export const LOCAL_FAILURES = new Set(['disk_full', 'permission_denied']);

export function fsFailure(error: unknown, path: string): unknown {
  if (error instanceof InstallError) return error;
  const code = classifyError(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'disk_full') {
    return new InstallError('disk_full', `no space left on the device holding ${path}`, { detail: reason, cause: error });
  }
  if (code === 'permission_denied') {
    return new InstallError('permission_denied', `cannot write ${path}`, { detail: reason, cause: error });
  }
  return error;
}

/** Runs a file-system step, turning its failure into one that names `path`. */
export async function atPath<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw fsFailure(error, path);
  }
}
