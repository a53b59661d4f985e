/**
 * The doctor: everything worth knowing when an install misbehaves, in one place: platform,
 * paths, versions, the `sky` on PATH and whether it shadows the managed one, proxy and CA
 * settings (which CA bundle uv gets; each proxy in use asked for one HEAD, diagnosed as an
 * install would), free disk, the lock, and the last attempt's error with its log. Reads only;
 * never starts Python. A `problem` finding carries a hint; adapters render the list.
 */
import { access, realpath, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getInstallStatus } from '../actors/check.ts';
import { toInstallErrorData } from '../machines/errors.ts';
import type { InstallSettings } from '../machines/types.ts';
import { readLastAttempt } from './install-log.ts';
import { layoutOf } from '../actors/layout.ts';
import { diagnoseProxies, diagnoseTrust } from './network-diagnosis.ts';
import { pidAlive, readLock, sameMachine } from './lock.ts';
import { hostPlatform, uvTriple } from '../actors/platform.ts';
import { redactorFor } from './redact.ts';
import { settingsFromEnv } from './settings.ts';
import { skyOnPath } from './sky-binary.ts';

export type Level = 'ok' | 'info' | 'warn' | 'problem';

export interface Finding {
  topic: string;
  level: Level;
  message: string;
  hint?: string;
}

/** SkyPilot, its dependencies and a managed Python take well over 500 MB (uv-skypilot-facts). */
const DISK_PROBLEM_BYTES = 500 * 1024 * 1024;
const DISK_WARN_BYTES = 2 * 1024 * 1024 * 1024;

const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY'];
const CA_VARS = ['SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'UV_NATIVE_TLS', 'UV_SYSTEM_CERTS'];
const INDEX_VARS = ['UV_DEFAULT_INDEX', 'UV_INDEX_URL', 'UV_PYTHON_INSTALL_MIRROR'];

const exists = (path: string) => access(path).then(() => true, () => false);

async function nearestExisting(path: string): Promise<string> {
  let dir = path;
  while (!(await exists(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  return env[name] ?? env[name.toLowerCase()];
}

export async function diagnose(env: Record<string, string | undefined>): Promise<Finding[]> {
  const findings: Finding[] = [];
  // Every finding, text or --json, passes the one redactor: a message may quote any setting.
  const redact = redactorFor(env);
  const add = (topic: string, level: Level, message: string, hint?: string) =>
    findings.push({ topic, level, message: redact(message), ...(hint ? { hint: redact(hint) } : {}) });

  const facts = hostPlatform();
  try {
    add('platform', 'ok', `${facts.platform}/${facts.arch}${facts.glibc ? ` glibc ${facts.glibc}` : facts.musl ? ' musl' : ''}: uv build ${uvTriple(facts)}`);
  } catch (error) {
    const data = toInstallErrorData(error, 'checking');
    add('platform', 'problem', data.message, data.hint);
  }

  let settings: InstallSettings;
  try {
    settings = settingsFromEnv(env);
  } catch (error) {
    const data = toInstallErrorData(error, 'checking');
    add('settings', 'problem', data.message, data.hint);
    return findings;
  }
  const layout = layoutOf(settings.home);
  add('paths', 'info', `CARAPACE_HOME ${layout.home}; uv ${layout.uv}; sky ${layout.sky}; Pythons ${layout.pythonDir}; logs ${layout.logsDir}`);
  try {
    const mode = (await stat(layout.home)).mode & 0o777;
    if (mode & 0o022) {
      add('paths', 'warn', `${layout.home} is writable by other users (mode ${mode.toString(8)})`, `chmod 700 ${layout.home}`);
    }
  } catch {
    add('paths', 'info', `${layout.home} does not exist yet; the first install creates it (mode 700)`);
  }
  add(
    'settings',
    'info',
    redact(`uv ${settings.uv_version} from ${settings.download_bases.join(', ')}; ${settings.skypilot_spec} with Python ${settings.python}`),
  );

  let status: Awaited<ReturnType<typeof getInstallStatus>>;
  try {
    status = await getInstallStatus(settings);
  } catch (error) {
    // A home another user controls: say so, and look no further into it.
    const data = toInstallErrorData(error, 'checking');
    add('paths', 'problem', `[${data.code}] ${data.message}`, data.hint);
    return findings;
  }
  if (!status.uv_installed) add('uv', 'info', 'the managed uv is not installed', 'run `carapace-sky install`');
  else if (status.uv_version !== settings.uv_version) {
    add('uv', 'warn', `uv ${status.uv_version} is installed but ${settings.uv_version} is pinned`, 'run `carapace-sky upgrade`');
  } else add('uv', 'ok', `uv ${status.uv_version}`);
  if (status.sky_problem) {
    add('skypilot', 'problem', `SkyPilot cannot run: ${status.sky_problem}`, 'run `carapace-sky install`; it rebuilds SkyPilot beside the broken one');
  } else if (!status.sky_installed) {
    add('skypilot', 'problem', 'SkyPilot is not installed', 'run `carapace-sky install`');
  } else add('skypilot', 'ok', `SkyPilot ${status.sky_version} at ${layout.sky}`);

  const onPath = await skyOnPath(env.PATH);
  if (onPath) {
    const [managed, found] = await Promise.all([realpath(layout.sky).catch(() => null), realpath(onPath).catch(() => onPath)]);
    if (managed && found === managed) add('path', 'ok', `\`sky\` on PATH is the managed one (${onPath})`);
    else if (status.sky_installed) {
      add('path', 'warn', `\`sky\` on PATH is ${onPath}, which shadows the managed ${layout.sky} in a terminal`, `carapace runs the managed one; to use it yourself, put ${layout.toolBinDir} first on PATH`);
    } else add('path', 'info', `\`sky\` on PATH: ${onPath} (not the managed one)`);
  } else add('path', 'info', `no \`sky\` on PATH; carapace runs ${layout.sky}`);

  for (const name of [...PROXY_VARS, ...INDEX_VARS]) {
    const value = envValue(env, name);
    if (!value) continue;
    // A proxy without a scheme is http:// (as curl and the download read it); see diagnoseProxies.
    if (INDEX_VARS.includes(name) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      add('network', 'problem', `${name}=${redact(value)} is not a URL`, `set ${name} to a URL such as http://proxy.example:3128`);
    } else add('network', 'info', `${name}=${redact(value)}`);
  }
  for (const name of CA_VARS) {
    const value = env[name];
    if (!value) continue;
    if (/(FILE|BUNDLE|CERTS)$/.test(name) && name !== 'UV_SYSTEM_CERTS' && !(await exists(value))) {
      add('network', 'problem', `${name}=${value} does not exist`, `point ${name} at a PEM file of the CA certificates to trust`);
    } else add('network', 'info', `${name}=${value}`);
  }
  for (const f of [await diagnoseTrust(settings), ...(await diagnoseProxies(settings, { fetch, now: Date.now }))]) {
    add(f.topic, f.level, f.message, f.hint);
  }

  try {
    const where = await nearestExisting(layout.home);
    const fs = await statfs(where);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < DISK_PROBLEM_BYTES) add('disk', 'problem', `${gib(free)} free at ${where}`, 'SkyPilot with its dependencies and Python needs about 1 GiB; free some space or move CARAPACE_HOME');
    else if (free < DISK_WARN_BYTES) add('disk', 'warn', `${gib(free)} free at ${where}`, 'an install needs about 1 GiB');
    else add('disk', 'ok', `${gib(free)} free at ${where}`);
  } catch (error) {
    add('disk', 'info', `free space unknown: ${(error as Error).message}`);
  }

  const lock = await readLock(layout.lockFile).catch(() => null);
  if (lock?.owner) {
    const holder = lock.owner;
    const live = !sameMachine(holder) || pidAlive(holder.pid);
    add('lock', live ? 'info' : 'warn', `${holder.purpose} by pid ${holder.pid} on ${holder.host} since ${holder.started}${live ? '' : ' (not running; the next install takes the lock over)'}`);
  }

  const last = await readLastAttempt(layout);
  if (last && !last.ok && last.error) {
    const logNote = last.log ? ((await exists(last.log)) ? `; log: ${last.log}` : `; its log ${last.log} was pruned`) : '';
    add('last attempt', 'problem', `${last.purpose} failed at ${last.finished}: [${last.error.code}] ${last.error.message}${logNote}`, last.error.hint);
  } else if (last) {
    add('last attempt', 'ok', `${last.purpose} succeeded at ${last.finished}`);
  }
  return findings;
}
