/**
 * `downloading_uv`: fetches the pinned uv release for this platform, checks its sha256 and
 * moves uv and uvx into CARAPACE_HOME/uv/bin. Bytes are hashed and unpacked into a staging
 * folder as they arrive (constant memory, one pass); nothing reaches uv/bin until the digest
 * matches and the staged uv has answered `--version`. uvx is renamed first and uv last, so
 * `uv/bin/uv` is either absent or complete.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { layoutOf } from '../adapters/layout.ts';
import { hostPlatform, uvTriple } from '../adapters/platform.ts';
import { classifyError, InstallError } from '../machines/errors.ts';
import type { ActorInput, DownloadUvOutput } from '../machines/install.ts';
import { parseUvVersion } from './check.ts';
import { UvArchiveExtractor } from './download/extract.ts';
import { knownChecksum, parseSidecar } from './download/known-checksums.ts';
import { DownloadProgress } from './download/progress.ts';
import { archiveName, archiveSources, type ArchiveSource } from './download/sources.ts';
import { runProcess } from './process.ts';
import { ensureHome } from './home.ts';

export interface DownloadUvInput extends ActorInput {
  /** Overrides platform detection (tests, cross-installs). */
  triple?: string;
}

/** Failures that another source cannot fix. */
const FATAL = new Set(['disk_full', 'permission_denied', 'cancelled', 'unsupported_platform', 'invalid_config']);

async function expectedDigest(input: DownloadUvInput, source: ArchiveSource, triple: string, signal: AbortSignal) {
  const { settings, deps } = input;
  const explicit = settings.uv_sha256 ?? knownChecksum(settings.uv_version, triple);
  if (explicit) return explicit;
  const response = await deps.fetch(source.sidecarUrl, { signal, redirect: 'follow' });
  if (!response.ok) {
    await response.body?.cancel();
    throw new InstallError('checksum_unavailable', `no trusted sha256 for uv ${settings.uv_version} (${triple})`, {
      detail: `GET ${source.sidecarUrl} answered ${response.status}`,
    });
  }
  const digest = parseSidecar(await response.text(), archiveName(triple));
  if (!digest) {
    throw new InstallError('checksum_unavailable', `the sha256 file for uv ${settings.uv_version} is malformed`, {
      detail: source.sidecarUrl,
    });
  }
  return digest;
}

async function fetchAndUnpack(
  input: DownloadUvInput,
  source: ArchiveSource,
  expected: string,
  stage: string,
  signal: AbortSignal,
): Promise<string> {
  const progress = new DownloadProgress(input.report, input.deps.now, `Downloading uv ${input.settings.uv_version}`);
  const response = await input.deps.fetch(source.url, { signal, redirect: 'follow' });
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new InstallError('http_status', `GET ${source.url} answered ${response.status} ${response.statusText}`.trim());
  }
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  progress.start(total, 0);

  const hash = createHash('sha256');
  const extractor = new UvArchiveExtractor(stage);
  const reader = response.body.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      hash.update(next.value);
      await extractor.write(next.value);
      progress.add(next.value.byteLength);
    }
  } catch (error) {
    extractor.destroy();
    throw error;
  } finally {
    reader.releaseLock();
  }
  progress.finish();
  if (total !== null && progress.done !== total) {
    extractor.destroy();
    throw new InstallError('size_mismatch', `the download of uv ended after ${progress.done} of ${total} bytes`, {
      detail: source.url,
    });
  }
  const actual = hash.digest('hex');
  if (actual !== expected) {
    extractor.destroy();
    throw new InstallError('checksum_mismatch', `the uv archive's sha256 does not match`, {
      detail: `expected ${expected}\nactual   ${actual}\nfrom     ${source.url}`,
    });
  }
  const staged = await extractor.end();
  return staged.uv;
}

async function stagedUvVersion(path: string, input: DownloadUvInput, signal: AbortSignal): Promise<string> {
  const result = await runProcess(path, ['--version'], {
    env: input.settings.env,
    signal,
    timeoutMs: 30_000,
    label: 'uv --version',
  }).catch((error: unknown) => {
    if (classifyError(error) === 'cancelled') throw error;
    return { exitCode: -1, stdout: '', stderr: String(error) };
  });
  const version = result.exitCode === 0 ? parseUvVersion(result.stdout) : null;
  if (!version) {
    throw new InstallError('archive_invalid', 'the downloaded uv does not run on this machine', {
      detail: (result.stderr || result.stdout).trim() || null,
    });
  }
  return version;
}

export async function downloadUv(input: DownloadUvInput, signal: AbortSignal): Promise<DownloadUvOutput> {
  const { settings } = input;
  const layout = layoutOf(settings.home);
  const triple = input.triple ?? uvTriple(hostPlatform());
  await ensureHome(layout);
  await mkdir(layout.stagingDir, { recursive: true, mode: 0o700 });
  const failures: string[] = [];
  let last: unknown = null;

  for (const source of archiveSources(settings.download_bases, settings.uv_version, triple)) {
    const stage = await mkdtemp(join(layout.stagingDir, 'uv-'));
    try {
      const expected = await expectedDigest(input, source, triple, signal);
      const stagedUv = await fetchAndUnpack(input, source, expected, stage, signal);
      const version = await stagedUvVersion(stagedUv, input, signal);
      await mkdir(layout.uvBinDir, { recursive: true });
      await rename(join(stage, 'uvx'), layout.uvx).catch(() => {});
      await rename(stagedUv, layout.uv);
      return { uv_path: layout.uv, uv_version: version };
    } catch (error) {
      if (signal.aborted) throw new InstallError('cancelled', 'the uv download was cancelled');
      const code = classifyError(error);
      if (code !== null && FATAL.has(code)) throw error;
      last = error;
      failures.push(`${source.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (failures.length < settings.download_bases.length) {
        input.report({ message: `uv download from ${source.base} failed; trying the next source`, percent: null });
      }
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }
  if (failures.length <= 1 && last) throw last;
  const code = classifyError(last) ?? 'network';
  throw new InstallError(code, `uv could not be downloaded from any of ${failures.length} sources`, {
    detail: failures.join('\n'),
    cause: last,
  });
}

