/**
 * The core's light entry: what `status` and an install with nothing to do need, and nothing else (no installer, xstate, execa or
 * settings validation). `status` is asked often and every module a process loads costs it
 * time (docs/performance.md), so it imports this file rather than installer/index.ts, which
 * loads everything. Types cost nothing at run time; the wire types are re-exported here too.
 */
export { getInstallStatus } from '../actors/check.ts';
export { statusSettingsFromEnv } from './status-settings.ts';
/**
 * An install with nothing to do is a status read too (installer/already-installed.ts), loaded
 * only when asked: it validates every setting, which `status` itself never needs.
 */
export async function alreadyInstalled(...args: Parameters<typeof import('./already-installed.ts').alreadyInstalled>) {
  return (await import('./already-installed.ts')).alreadyInstalled(...args);
}
export type * from '../machines/types.ts';
