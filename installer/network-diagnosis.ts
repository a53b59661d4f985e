/**
 * The network half of `doctor`: which proxy each download source goes through and what that
 * proxy says when asked for the source's `.sha256` (the same request the install makes
 * first, classified by the same code, so doctor and install give one diagnosis), and which
 * CA bundle uv gets. Never downloads an archive; asks nothing when no proxy is set.
 */
import { DEFAULT_BACKOFF } from '../actors/download/backoff.ts';
import { trustPlan } from '../actors/download/ca.ts';
import { probeStatus } from '../actors/download/probe.ts';
import { chooseProxy, proxyLabel } from '../actors/download/proxy.ts';
import { archiveSources } from '../actors/download/sources.ts';
import { layoutOf } from '../actors/layout.ts';
import { hostPlatform, uvTriple } from '../actors/platform.ts';
import { uvCaBundlePath } from '../actors/uv-env.ts';
import { InstallError } from '../machines/errors.ts';
import type { InstallSettings } from '../machines/types.ts';

export interface NetworkFinding {
  topic: 'network';
  level: 'ok' | 'info' | 'warn' | 'problem';
  message: string;
  hint?: string;
}

/** Doctor should answer in seconds even when a proxy swallows the request. */
const PROBE_TIMEOUT_MS = 10_000;

function finding(level: NetworkFinding['level'], message: string, hint?: string): NetworkFinding {
  return { topic: 'network', level, message, ...(hint ? { hint } : {}) };
}

/** Which CA bundle uv gets, and from what; a problem when a CA variable is unusable. */
export async function diagnoseTrust(settings: InstallSettings): Promise<NetworkFinding> {
  try {
    const plan = await trustPlan(settings.env);
    if (!plan.certs) return finding('info', 'no CA settings: the download and uv trust their built-in roots');
    if (!plan.needsBundle) return finding('info', `uv gets SSL_CERT_FILE=${settings.env.SSL_CERT_FILE?.trim()} as set, as the download does`);
    const bundle = uvCaBundlePath(layoutOf(settings.home));
    return finding('info', `uv gets SSL_CERT_FILE=${bundle}, one bundle of what the download trusts: ${plan.sources.join(' + ')}`);
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    return finding('problem', error.message, error.hint);
  }
}

/** One finding per proxy in use: `problem` with the install's own message and hint when it refuses. */
export async function diagnoseProxies(
  settings: InstallSettings,
  deps: { fetch: typeof fetch; now: () => number },
  triple: string = uvTriple(hostPlatform()),
): Promise<NetworkFinding[]> {
  const findings: NetworkFinding[] = [];
  const ca = (await trustPlan(settings.env).catch(() => null))?.certs ?? null;
  for (const source of archiveSources(settings.download_bases, settings.uv_version, triple)) {
    let proxy;
    try {
      proxy = chooseProxy(new URL(source.sidecarUrl), settings.env);
    } catch (error) {
      if (!(error instanceof InstallError)) throw error;
      findings.push(finding('problem', error.message, error.hint));
      break;
    }
    if (!proxy) continue;
    const host = new URL(source.url).host;
    try {
      const status = await probeStatus(source.sidecarUrl, {
        fetch: deps.fetch,
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS * 2),
        attempts: 1,
        connectTimeoutMs: PROBE_TIMEOUT_MS,
        stallTimeoutMs: PROBE_TIMEOUT_MS,
        backoff: DEFAULT_BACKOFF,
        now: deps.now,
        proxy: proxy.url,
        proxyVariable: proxy.variable,
        ca,
        maxBytes: 0,
        limitCode: 'checksum_unavailable',
        what: 'the sha256 file',
      });
      findings.push(finding('ok', `${proxyLabel(proxy)} carries requests to ${host} (it answered ${status})`));
    } catch (error) {
      if (!(error instanceof InstallError)) throw error;
      if (error.code === 'proxy') findings.push(finding('problem', error.message, error.hint));
      else findings.push(finding('warn', `through ${proxyLabel(proxy)}: ${error.message}`, error.hint));
    }
  }
  return findings;
}
