/**
 * `downloading_uv`: fetches the pinned uv release for this platform, checks its sha256 and
 * moves uv and uvx into CARAPACE_HOME/uv/bin. Bytes are hashed and unpacked into a staging
 * folder as they arrive (constant memory, one pass); nothing reaches uv/bin until the digest
 * matches and the staged uv has answered `--version`. uvx is renamed first and uv last, so
 * `uv/bin/uv` is either absent or complete.
 *
 * Sources are tried in order (astral's mirror, then GitHub, or CARAPACE_UV_DOWNLOAD_BASE);
 * each one gets its own retries and resume (download/fetch-with-retry.ts), and a failure
 * that another source cannot fix (a full disk, a cancel) ends the download at once.
 */
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { layoutOf } from './layout.ts';
import { hostPlatform, uvTriple } from './platform.ts';
import { classifyError, InstallError } from '../machines/errors.ts';
import type { ActorInput, DownloadUvOutput } from '../machines/install.ts';
import { parseUvVersion } from './check.ts';
import { ArchiveSink, TextSink } from './download/archive-sink.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './download/backoff.ts';
import { trustedCertificates } from './download/ca.ts';
import { HttpStatusError } from './download/failures.ts';
import { fetchWithRetry, type FetchWithRetryOptions, type RetryNotice } from './download/fetch-with-retry.ts';
import { probeStatus } from './download/probe.ts';
import { atPath } from './download/fs-errors.ts';
import { knownChecksum, parseSidecar } from './download/known-checksums.ts';
import { DownloadProgress } from './download/progress.ts';
import { chooseProxy } from './download/proxy.ts';
import { archiveName, archiveSources, type ArchiveSource } from './download/sources.ts';
import { ensureHome } from './home.ts';
import { runProcess } from './process.ts';

export interface DownloadUvInput extends ActorInput {
  /** Overrides platform detection (tests, cross-installs). */
  triple?: string;
  /** Overrides the retry delays (tests that cannot wait seconds per retry). */
  backoff?: Partial<BackoffPolicy>;
  random?: () => number;
}

/** Failures that another source cannot fix. */
const FATAL = new Set(['disk_full', 'permission_denied', 'cancelled', 'unsupported_platform', 'invalid_config']);

/** uv archives are about 24 MB; anything near this is not a uv release. */
const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
const MAX_SIDECAR_BYTES = 64 * 1024;

type Network = Omit<FetchWithRetryOptions, 'maxBytes' | 'limitCode' | 'what'>;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function retryNote(what: string, notice: RetryNotice): string {
  const wait = Math.round(notice.delayMs / 100) / 10;
  return `${notice.reason}; retrying ${what} in ${wait} s (attempt ${notice.attempt} of ${notice.attempts})`;
}

function isMissingStatus(status: number): boolean {
  return status === 404 || status === 410;
}

function isMissing(error: unknown): error is HttpStatusError {
  return error instanceof HttpStatusError && isMissingStatus(error.status);
}

function missingRelease(input: DownloadUvInput, source: ArchiveSource, triple: string, status: number): InstallError {
  const version = input.settings.uv_version;
  const said = source.url.startsWith('file:') ? `${source.url} does not exist` : `GET ${source.url} answered ${status}`;
  return new HttpStatusError(status, `uv ${version} for ${triple} is not at ${source.base}: ${said}`, {
    detail: source.url,
    hint: `Check that uv ${version} exists (CARAPACE_UV_VERSION, without a leading v) and that CARAPACE_UV_DOWNLOAD_BASE holds <base>/<version>/${archiveName(triple)}.`,
  });
}

async function expectedDigest(input: DownloadUvInput, source: ArchiveSource, triple: string, net: Network) {
  const { settings } = input;
  const explicit = settings.uv_sha256 ?? knownChecksum(settings.uv_version, triple);
  if (explicit) return explicit;
  const sink = new TextSink();
  try {
    await fetchWithRetry(source.sidecarUrl, sink, {
      ...net,
      what: 'the sha256 file',
      maxBytes: MAX_SIDECAR_BYTES,
      limitCode: 'checksum_unavailable',
    });
  } catch (error) {
    // A missing sidecar is "no digest" only when the archive is there; when both are
    // missing the release is (a mistyped version, a wrong base). Anything else stays itself.
    if (!isMissing(error)) throw error;
    const status = await probeStatus(source.url, { ...net, what: 'the uv archive', maxBytes: 0, limitCode: 'archive_invalid' });
    if (isMissingStatus(status)) throw missingRelease(input, source, triple, status);
    throw new InstallError('checksum_unavailable', `no trusted sha256 for uv ${settings.uv_version} (${triple})`, {
      detail: (error as Error).message,
    });
  }
  const digest = parseSidecar(sink.text(), archiveName(triple));
  if (!digest) {
    throw new InstallError('checksum_unavailable', `the sha256 file for uv ${settings.uv_version} is malformed`, {
      detail: source.sidecarUrl,
    });
  }
  return digest;
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

async function downloadFrom(
  input: DownloadUvInput,
  source: ArchiveSource,
  triple: string,
  sink: ArchiveSink,
  net: Network,
  progress: DownloadProgress,
): Promise<{ uv: string; uvx: string | null }> {
  const expected = await expectedDigest(input, source, triple, net);
  await fetchWithRetry(source.url, sink, {
    ...net,
    what: 'the uv archive',
    maxBytes: MAX_ARCHIVE_BYTES,
    limitCode: 'archive_invalid',
    onResponse: ({ total, offset, restarted }) => {
      if (restarted) progress.note(`${source.base} cannot resume; downloading uv again from the start`);
      progress.start(total, offset);
    },
    onBytes: (bytes) => progress.add(bytes),
  }).catch((error: unknown) => {
    throw isMissing(error) ? missingRelease(input, source, triple, error.status) : error;
  });
  progress.finish();
  // The digest speaks first: a damaged download also looks like a broken archive.
  const actual = sink.digest();
  if (actual !== expected) {
    throw new InstallError('checksum_mismatch', `the uv archive's sha256 does not match`, {
      detail: `expected ${expected}\nactual   ${actual}\nfrom     ${source.url}`,
    });
  }
  return sink.finish();
}

export async function downloadUv(input: DownloadUvInput, signal: AbortSignal): Promise<DownloadUvOutput> {
  const { settings, deps } = input;
  const layout = layoutOf(settings.home);
  const triple = input.triple ?? uvTriple(hostPlatform());
  await atPath(layout.home, () => ensureHome(layout));
  await atPath(layout.stagingDir, () => mkdir(layout.stagingDir, { recursive: true, mode: 0o700 }));
  const ca = await trustedCertificates(settings.env);
  const progress = new DownloadProgress(input.report, deps.now, `Downloading uv ${settings.uv_version}`);
  const sources = archiveSources(settings.download_bases, settings.uv_version, triple);
  const failures: string[] = [];
  const codes: Array<string | null> = [];
  let last: unknown = null;

  for (const [index, source] of sources.entries()) {
    const stage = await atPath(layout.stagingDir, () => mkdtemp(join(layout.stagingDir, 'carapace-uv-')));
    const sink = new ArchiveSink(stage);
    try {
      const proxy = chooseProxy(new URL(source.url), settings.env);
      const net: Network = {
        fetch: deps.fetch,
        signal,
        attempts: settings.download_retries,
        connectTimeoutMs: settings.connect_timeout_ms,
        stallTimeoutMs: settings.stall_timeout_ms,
        backoff: { ...DEFAULT_BACKOFF, ...input.backoff },
        ...(input.random ? { random: input.random } : {}),
        now: deps.now,
        proxy: proxy?.url ?? false,
        ...(proxy ? { proxyVariable: proxy.variable } : {}),
        lowSpeed: { limitBytesPerSecond: settings.low_speed_limit, timeMs: settings.low_speed_time_ms },
        ca,
        onRetry: (notice) => progress.note(retryNote(`from ${source.base}`, notice)),
      };
      const staged = await downloadFrom(input, source, triple, sink, net, progress);
      const version = await stagedUvVersion(staged.uv, input, signal);
      await atPath(layout.uvBinDir, () => mkdir(layout.uvBinDir, { recursive: true }));
      if (staged.uvx) await atPath(layout.uvx, () => rename(staged.uvx!, layout.uvx));
      await atPath(layout.uv, () => rename(staged.uv, layout.uv));
      return { uv_path: layout.uv, uv_version: version };
    } catch (error) {
      if (signal.aborted) throw new InstallError('cancelled', 'the uv download was cancelled');
      const code = classifyError(error);
      if (code !== null && FATAL.has(code)) throw error;
      last = error;
      codes.push(code);
      failures.push(`${source.url}: ${messageOf(error)}`);
      if (index < sources.length - 1) {
        progress.note(`uv download from ${source.base} failed (${messageOf(error)}); trying the next source`);
      }
    } finally {
      await sink.dispose();
      await rm(stage, { recursive: true, force: true });
    }
  }
  if (failures.length <= 1 && last) throw last;
  const code = classifyError(last) ?? 'network';
  const hint = last instanceof InstallError ? last.hint : undefined;
  // One proxy usually carries every source: say what it said, not "no source worked".
  if (codes.every((c) => c === 'proxy') && last instanceof InstallError) {
    throw new InstallError('proxy', last.message, { hint, detail: failures.join('\n'), cause: last });
  }
  throw new InstallError(code, `uv could not be downloaded from any of ${failures.length} sources`, {
    detail: failures.join('\n'),
    hint,
    cause: last,
  });
}
