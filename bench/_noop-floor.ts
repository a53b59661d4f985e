/**
 * Not a benchmark of its own (run.ts skips `_` files): the floor of issue 14's goal 2, the
 * least a fresh Bun process can do to answer `status --json` (`bun bench/_noop-floor.ts status`)
 * or a no-op `install --json` (`... install`) on a healthy home. One file, no imports, no
 * error handling, nothing for a broken install: the same file system calls as the product
 * (strace -f on both), i.e. the trust walk from `/` with node:fs lstat and readlink, the reads
 * of sky, the receipt, site-packages, METADATA and uv's version cache, the two executable
 * checks; for install also the settings' checks, the lock looked for twice, the receipt
 * compared with the requirement and the folders an install writes in. Then the same lines on
 * stdout. What the product costs above this is its structure: modules, and the code that
 * handles what this file assumes.
 */
const fs = process.getBuiltinModule('node:fs');
const env = process.env;
const home = env.CARAPACE_HOME!;
const install = process.argv[2] === 'install';
const me = process.getuid!();
const seen = new Set<string>();

/** Every component from `/`, lstat'ed once, links read and followed; throws on another user's. */
function walk(path: string): string {
  const parts = path.split('/').filter(Boolean);
  let done = '';
  while (parts.length > 0) {
    const next = `${done}/${parts.shift()}`;
    if (seen.has(next)) {
      done = next;
      continue;
    }
    const info = fs.lstatSync(next, { throwIfNoEntry: false });
    if (!info) return [next, ...parts].join('/');
    if (info.uid !== me && (info.uid !== 0 || next.startsWith(home)) || (info.mode & 0o022 && !info.isSymbolicLink() && !(info.mode & 0o1000))) throw new Error(next);
    if (!info.isSymbolicLink()) {
      seen.add(next);
      done = next;
      continue;
    }
    const target = fs.readlinkSync(next);
    parts.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) done = '';
  }
  return done;
}

if (install) {
  const checks = [/^\d+\.\d+\.\d+([.-]?[A-Za-z0-9.]+)?$/.test(env.CARAPACE_UV_VERSION ?? '0.10.2'), /^3\.\d+(\.\d+)?$/.test(env.CARAPACE_PYTHON ?? '3.12')];
  for (const base of (env.CARAPACE_UV_DOWNLOAD_BASE ?? '').split(',').filter(Boolean)) checks.push(URL.canParse(base));
  if (env.CARAPACE_UV_SHA256) checks.push(/^[0-9a-f]{64}$/.test(env.CARAPACE_UV_SHA256));
  if (checks.includes(false) || fs.existsSync(`${home}/install.lock`)) process.exit(1);
}
walk(home);
fs.lstatSync(home);
const uv = walk(`${home}/uv/bin/uv`);
const sky = `${home}/tools/bin/sky`;
const head = fs.readFileSync(sky, 'utf8');
const python = head.split('\n')[0]!.slice(2).trim();
const envDir = python.slice(0, python.lastIndexOf('/bin/'));
const receipt = fs.readFileSync(`${envDir}/uv-receipt.toml`, 'utf8');
const name = envDir.slice(envDir.lastIndexOf('/') + 1).replaceAll('-', '_');
const lib = fs.readdirSync(`${envDir}/lib`).find((d) => d.startsWith('python'))!;
const site = fs.readdirSync(`${envDir}/lib/${lib}/site-packages`);
const dist = site.find((d) => d.startsWith(`${name}-`))!;
const version = /^Version:\s*(\S+)/m.exec(fs.readFileSync(`${envDir}/lib/${lib}/site-packages/${dist}/METADATA`, 'utf8'))?.[1] ?? null;
const runnable = receipt.length > 0 && Bun.which(sky) !== null && Bun.which(python) !== null && version !== null && site.some((d) => d.startsWith('pip-'));
for (const path of ['tools', 'tools/bin', 'tools/environments', 'tools/generations', 'python', 'tools/bin/sky']) walk(`${home}/${path}`);
for (const path of [envDir, `${envDir}/bin`, `${envDir}/bin/python`]) walk(path);
const uvInfo = fs.statSync(uv);
const cache = JSON.parse(fs.readFileSync(`${home}/cache/uv-version.json`, 'utf8'));
const uvVersion = cache[uv]?.key === `${uvInfo.size}:${uvInfo.mtimeMs}:${uvInfo.ino}` ? cache[uv].version : null;
const status = { uv_installed: uvVersion !== null, uv_version: uvVersion, sky_installed: runnable, sky_version: version, carapace_home: home };
const out = Bun.stdout.writer();
if (install) {
  const wanted = (env.CARAPACE_SKYPILOT_SPEC ?? 'skypilot-nightly[aws]').split('[')[0]!.replaceAll('-', '_');
  const same = receipt.includes(`name = "${(env.CARAPACE_SKYPILOT_SPEC ?? 'skypilot-nightly[aws]').split('[')[0]}"`) && name === wanted;
  for (const folder of ['logs', 'staging', 'cache', 'run']) fs.lstatSync(`${home}/${folder}`, { throwIfNoEntry: false });
  if (!runnable || !same || fs.existsSync(`${home}/install.lock`)) process.exit(1);
  out.write(`${JSON.stringify({ phase: 'checking', message: 'Checking for SkyPilot...', percent: null })}\n`);
  out.write(`${JSON.stringify({ phase: 'complete', message: 'SkyPilot ready', percent: null, sky_version: version, sky_path: sky })}\n`);
  out.write(`${JSON.stringify({ ok: true, sky_path: sky, status })}\n`);
} else out.write(`${JSON.stringify(status)}\n`);
out.flush();
export {};
