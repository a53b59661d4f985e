/**
 * The uv release triple for this machine. uv publishes x86_64 and aarch64 builds for
 * Linux (gnu and musl) and macOS (astral-sh/uv dist-workspace.toml); anything else is
 * `unsupported_platform` rather than a download that cannot run.
 */
import { InstallError } from '../machines/errors.ts';

export interface PlatformFacts {
  platform: string;
  arch: string;
  /** glibc version such as "2.36", or null on musl and non-Linux systems. */
  glibc: string | null;
  /** True on Linux without glibc (Alpine and friends). */
  musl: boolean;
}

const ARCHES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

export function uvTriple(facts: PlatformFacts): string {
  const arch = ARCHES[facts.arch];
  if (!arch || (facts.platform !== 'linux' && facts.platform !== 'darwin')) {
    throw new InstallError('unsupported_platform', `uv has no release for ${facts.platform}/${facts.arch}`, {
      detail: `platform=${facts.platform} arch=${facts.arch}`,
    });
  }
  if (facts.platform === 'darwin') return `${arch}-apple-darwin`;
  if (facts.musl || facts.glibc === null) return `${arch}-unknown-linux-musl`;
  // uv's aarch64 gnu build needs glibc >= 2.28; its static musl build runs everywhere.
  if (arch === 'aarch64' && compareVersions(facts.glibc, '2.28') < 0) return `${arch}-unknown-linux-musl`;
  return `${arch}-unknown-linux-gnu`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function glibcVersion(): string | null {
  const report = (process.report?.getReport?.() ?? null) as { header?: { glibcVersionRuntime?: string } } | null;
  return report?.header?.glibcVersionRuntime ?? null;
}

export function hostPlatform(): PlatformFacts {
  const glibc = process.platform === 'linux' ? glibcVersion() : null;
  // No glibc reported means musl or something unusual; uv's static musl build runs on both.
  return { platform: process.platform, arch: process.arch, glibc, musl: process.platform === 'linux' && glibc === null };
}
