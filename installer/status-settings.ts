/**
 * The settings `status` reads: CARAPACE_HOME and the SkyPilot requirement. They live apart
 * from settings.ts so a status process neither loads nor runs the validation of install
 * settings it never uses; status is asked often and each started module costs it time
 * (docs/performance.md). settings.ts builds on these for everything else.
 */
import type { StatusSettings } from '../machines/types.ts';

export const DEFAULT_SKYPILOT_SPEC = 'skypilot-nightly[aws]';

type Env = Record<string, string | undefined>;

export type { StatusSettings };

/** An absolute path without `.`, `..` or empty segments: one path.resolve would return as it is. */
const CLEAN_ABSOLUTE = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/**
 * CARAPACE_HOME as an absolute, normalised path (`~/` is the user's home). node:path and
 * node:os are loaded only when the path needs them: together they cost about 1 ms.
 */
export function resolveHome(env: Env): string {
  const raw = env.CARAPACE_HOME || '~/.carapace';
  const wanted = raw === '~' || raw.startsWith('~/') ? `${userHome()}${raw.slice(1)}` : raw;
  return CLEAN_ABSOLUTE.test(wanted) ? wanted : process.getBuiltinModule('node:path').resolve(wanted);
}

/** What os.homedir() answers: HOME first, then the password database. */
function userHome(): string {
  return process.env.HOME || process.getBuiltinModule('node:os').homedir();
}

export function skypilotSpecFrom(env: Env): string {
  return env.CARAPACE_SKYPILOT_SPEC?.trim() || DEFAULT_SKYPILOT_SPEC;
}

export function statusSettingsFromEnv(env: Env): StatusSettings {
  return { home: resolveHome(env), skypilot_spec: skypilotSpecFrom(env), env };
}
