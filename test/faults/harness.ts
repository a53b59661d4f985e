/**
 * Runs the real downloadUv against a loopback mirror with faults, and checks what a failed
 * or recovered download leaves in CARAPACE_HOME.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadUv, type DownloadUvInput } from '../../actors/download-uv.ts';
import { layoutOf } from '../../actors/layout.ts';
import { settingsFromEnv } from '../../installer/settings.ts';
import { toInstallErrorData } from '../../machines/errors.ts';
import type { ProgressReport } from '../../machines/install.ts';
import type { DownloadUvOutput } from '../../machines/install.ts';
import type { InstallErrorData } from '../../machines/types.ts';
import { sidecarText } from '../../demo/release.ts';
import type { MirrorHook } from '../../demo/mirror.ts';
import { sha256 } from './archives.ts';

/** Not in the built-in checksum table, so the mirror's sidecar is what is trusted. */
export const VERSION = '0.10.5';

/** Retries in milliseconds rather than seconds: the policy is what is tested, not the wait. */
export const FAST_BACKOFF = { baseMs: 20, maxMs: 100 };

export async function tempHome(prefix = 'fault-home-'): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), prefix)), 'carapace');
}

export async function removeHome(home: string): Promise<void> {
  await rm(join(home, '..'), { recursive: true, force: true });
}

export interface RunResult {
  ok: DownloadUvOutput | null;
  error: InstallErrorData | null;
  progress: ProgressReport[];
}

export async function runDownload(
  env: Record<string, string>,
  opts: Partial<Pick<DownloadUvInput, 'backoff' | 'deps'>> & { signal?: AbortSignal; onProgress?: (p: ProgressReport) => void } = {},
): Promise<RunResult> {
  const settings = settingsFromEnv({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CARAPACE_UV_VERSION: VERSION,
    CARAPACE_STALL_TIMEOUT: '2',
    CARAPACE_CONNECT_TIMEOUT: '5',
    ...env,
  });
  const progress: ProgressReport[] = [];
  const input: DownloadUvInput = {
    settings,
    deps: opts.deps ?? { fetch, now: Date.now },
    backoff: opts.backoff ?? FAST_BACKOFF,
    report: (p) => {
      progress.push(p);
      opts.onProgress?.(p);
    },
  };
  try {
    const ok = await downloadUv(input, opts.signal ?? new AbortController().signal);
    return { ok, error: null, progress };
  } catch (error) {
    return { ok: null, error: toInstallErrorData(error, 'downloading_uv'), progress };
  }
}

/** No uv at the final paths and nothing left in staging. */
export async function leftovers(home: string): Promise<string[]> {
  const layout = layoutOf(home);
  const found: string[] = [];
  for (const path of [layout.uv, layout.uvx]) if (existsSync(path)) found.push(path);
  if (existsSync(layout.stagingDir)) {
    for (const name of await readdir(layout.stagingDir)) found.push(join(layout.stagingDir, name));
  }
  return found;
}

/** Serves `archive` (and, unless told otherwise, its true sidecar) in place of the mirror's. */
export function serveArchive(archive: Uint8Array, opts: { sidecar?: string | null } = {}): MirrorHook {
  return (_req, ctx) => {
    const name = ctx.path.split('/').pop() ?? '';
    if (ctx.path.endsWith('.tar.gz')) {
      return new Response(archive.slice(), { headers: { 'content-length': String(archive.byteLength) } });
    }
    if (ctx.path.endsWith('.sha256')) {
      if (opts.sidecar === null) return new Response('Not Found\n', { status: 404 });
      return new Response(opts.sidecar ?? sidecarText(sha256(archive), name.replace(/\.sha256$/, '')));
    }
    return undefined;
  };
}
