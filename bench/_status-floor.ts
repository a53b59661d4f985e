/**
 * Not a benchmark of its own (run.ts skips `_` files): the least a complete status can do in
 * one fresh Bun process, as a floor for bench/status.ts. One file, no imports, no settings,
 * no error handling: the same reads and checks as actors/check.ts and actors/tool-env.ts on
 * a healthy install (uv's cached version, sky's shebang, the receipt, the tool's and pip's
 * dist-info folders found by one glob, METADATA, two executable checks), then one line of JSON on fd 1.
 */
const home = process.env.CARAPACE_HOME!;
const uv = `${home}/uv/bin/uv`;
const sky = `${home}/tools/bin/sky`;
const uvFile = Bun.file(uv);
const cache = JSON.parse(await Bun.file(`${home}/cache/uv-version.json`).text());
const uvVersion = cache[uv]?.key === `${uvFile.size}:${uvFile.lastModified}` ? cache[uv].version : null;
const head = await Bun.file(sky).slice(0, 1024).text();
const python = head.split('\n')[0]!.slice(2).trim();
const envDir = python.slice(0, python.lastIndexOf('/bin/'));
const receipt = await Bun.file(`${envDir}/uv-receipt.toml`).text();
const name = envDir.slice(envDir.lastIndexOf('/') + 1).replaceAll('-', '_');
let version: string | null = null;
let pip = false;
for (const path of new Bun.Glob(`lib/python*/site-packages/{${name}-*,pip-*}.dist-info`).scanSync({ cwd: envDir, onlyFiles: false })) {
  if (path.split('/')[3]!.startsWith('pip-')) pip = true;
  else version = /^Version:\s*(\S+)/m.exec(await Bun.file(`${envDir}/${path}/METADATA`).text())?.[1] ?? null;
}
const runnable = receipt.length > 0 && Bun.which(sky) !== null && Bun.which(python) !== null && version !== null && pip;
const status = { uv_installed: uvVersion !== null, uv_version: uvVersion, sky_installed: runnable, sky_version: version, carapace_home: home };
const out = Bun.stdout.writer();
out.write(JSON.stringify(status) + '\n');
out.flush();
export {};
