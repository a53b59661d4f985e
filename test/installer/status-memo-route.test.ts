/**
 * GET /cluster/install-status through the real gatekeeper over a real install from the stand-in:
 * every kind of change on disk shows on the very next request, with the inotify watch and with
 * stats only (installer/status-memo.ts). Each way has an install of its own, since both change it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, chown, lchown, link, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { createGatekeeper, type Gatekeeper } from '../../adapters/http/gatekeeper.ts';
import type { DiskWatch } from '../../installer/disk-watch.ts';
import { createInstaller } from '../../installer/installer.ts';
import { local, mirrorRig, PORT, post, type Rig } from '../adapters/http-harness.ts';

/**
 * A copy of the current generation at another version, made current the way
 * actors/generations.ts switches: a new `tools/environments` link renamed over the old one.
 */
async function switchToCopy(home: string, version: string): Promise<void> {
  const environments = join(home, 'tools/environments');
  const current = await realpath(environments);
  const id = `copy-${version}`;
  const next = join(dirname(current), id);
  await execa('cp', ['-a', current, next]);
  // uv's entry point names its environment's interpreter by the real path.
  const sky = join(next, 'skypilot-nightly/bin/sky');
  await writeFile(sky, (await readFile(sky, 'utf8')).replaceAll(current, next));
  const lib = join(next, 'skypilot-nightly/lib');
  const site = join(lib, (await readdir(lib))[0]!, 'site-packages');
  const dist = (await readdir(site)).find((name) => name.startsWith('skypilot_nightly-'))!;
  const renamed = join(site, `skypilot_nightly-${version}.dist-info`);
  await rename(join(site, dist), renamed);
  const metadata = join(renamed, 'METADATA');
  await writeFile(metadata, (await readFile(metadata, 'utf8')).replace(/^Version: .*$/m, `Version: ${version}`));
  await symlink(`generations/${id}`, `${environments}.next`);
  await rename(`${environments}.next`, environments);
}

const MODES: [string, (() => DiskWatch | null) | undefined][] = [
  ['with the inotify watch', undefined],
  ['with stats only (no watch)', () => null],
];

describe.each(MODES)('GET /cluster/install-status %s', (_mode, watchDisk) => {
  let rig: Rig;
  let gk: Gatekeeper;
  let close: () => void;
  beforeAll(async () => {
    rig = await mirrorRig();
    const out = await rig.installer.ensureSkypilot();
    if (!out.ok) throw new Error(out.error.message);
    const installer = createInstaller({ settings: rig.installer.settings(), ...(watchDisk ? { watchDisk } : {}) });
    gk = createGatekeeper({ installer, port: PORT });
    close = () => installer.close();
  });
  afterAll(async () => {
    gk.close();
    close();
    await rig.close();
  });

  const get = async () => {
    const res = await gk.fetch(local('/cluster/install-status'));
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** Each change is refused on the very next request, and once undone, answered again. */
  const refusedWhile = async (change: () => Promise<unknown>, undo: () => Promise<unknown>) => {
    await change();
    try {
      const unsafe = await get();
      expect(unsafe.status).toBe(503);
      expect(unsafe.body.error?.code).toBe('home_not_trusted');
    } finally {
      await undo();
    }
    expect((await get()).status).toBe(200);
  };
  const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;
  const me = [process.getuid!(), process.getgid!()] as const;

  test('sky removed and put back', async () => {
    expect((await get()).body).toMatchObject({ sky_installed: true, sky_version: '1.0.0.dev20260214' });
    expect((await get()).body.sky_installed).toBe(true);
    const sky = join(rig.home, 'tools/bin/sky');
    const target = await readlink(sky);
    await rm(sky);
    expect((await get()).body.sky_installed).toBe(false);
    await symlink(target, sky);
    expect((await get()).body.sky_installed).toBe(true);
  });

  test('a new version: the dist-info renamed and METADATA rewritten in place, as `uv tool upgrade` does', async () => {
    await execa(join(rig.home, 'uv/bin/uv'), ['tool', 'upgrade', 'skypilot-nightly'], {
      env: {
        ...process.env,
        UV_TOOL_DIR: join(rig.home, 'tools/environments'),
        UV_TOOL_BIN_DIR: join(rig.home, 'tools/bin'),
        UV_PYTHON_INSTALL_DIR: join(rig.home, 'python'),
        STANDIN_UPGRADE_TO: '1.0.0.dev20260301',
      },
    });
    expect((await get()).body.sky_version).toBe('1.0.0.dev20260301');
  });

  test('a link retargeted: tools/environments switched to another generation', async () => {
    await switchToCopy(rig.home, '1.0.0.dev20260305');
    expect((await get()).body).toMatchObject({ sky_installed: true, sky_version: '1.0.0.dev20260305' });
  });

  test('the home, a folder above it, a link and python/ made another user’s or writable by others', async () => {
    await refusedWhile(() => chmod(rig.home, 0o777), () => chmod(rig.home, 0o700));
    // The trust check walks above the home and down python/ to the interpreter: a change
    // there is a change too, though nothing inside the home's own folders moved.
    const above = dirname(rig.home);
    const aboveMode = await modeOf(above);
    await refusedWhile(() => chmod(above, 0o777), () => chmod(above, aboveMode));
    // A link's own owner (lstat) and a folder a link leads to count as well.
    const environments = join(rig.home, 'tools/environments');
    await refusedWhile(() => lchown(environments, 4242, 4242), () => lchown(environments, ...me));
    const generations = join(rig.home, 'tools/generations');
    const generationsMode = await modeOf(generations);
    await refusedWhile(() => chmod(generations, 0o777), () => chmod(generations, generationsMode));
    const pythons = join(rig.home, 'python');
    await refusedWhile(() => chown(pythons, 4242, 4242), () => chown(pythons, ...me));
  });

  test('uv made writable by others through a hard link in another folder: the same file, another path', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'uv-link-'));
    const alias = join(elsewhere, 'uv');
    try {
      await link(join(rig.home, 'uv/bin/uv'), alias);
      const uvMode = await modeOf(alias);
      await refusedWhile(() => chmod(alias, 0o777), () => chmod(alias, uvMode));
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  test('what a link leads to removed and put back: the interpreter behind bin/python, the entry point behind sky', async () => {
    // Once a target is gone nothing resolves through the link; its return is still a change.
    const env = await realpath(join(rig.home, 'tools/environments/skypilot-nightly'));
    for (const target of [await realpath(join(env, 'bin/python')), join(env, 'bin/sky')]) {
      await rename(target, `${target}.away`);
      expect((await get()).body.sky_installed).toBe(false);
      await rename(`${target}.away`, target);
      expect((await get()).body.sky_installed).toBe(true);
    }
  });

  test('with sky removed, the environment the requirement names made writable by others', async () => {
    // The check then reads, and trust-walks, the environment named after the package.
    const sky = join(rig.home, 'tools/bin/sky');
    const target = await readlink(sky);
    const bin = join(rig.home, 'tools/environments/skypilot-nightly/bin');
    await rm(sky);
    try {
      expect((await get()).body.sky_installed).toBe(false);
      await refusedWhile(() => chmod(bin, 0o777), () => chmod(bin, 0o755));
    } finally {
      await symlink(target, sky);
    }
    expect((await get()).body.sky_installed).toBe(true);
  });

  test('uv replaced by another build: a new inode at the same path', async () => {
    const uv = join(rig.home, 'uv/bin/uv');
    await writeFile(`${uv}.new`, (await readFile(uv, 'utf8')).replace(/uv_version='[^']*'/, "uv_version='0.10.9'"), { mode: 0o755 });
    await rename(`${uv}.new`, uv);
    expect((await get()).body.uv_version).toBe('0.10.9');
  });
});

/**
 * CARAPACE_HOME a link to a folder not made yet, deep under a scratch folder: the service's own
 * install makes it, and the folders above where the link leads are checked like any above a home.
 */
describe.each(MODES)('GET /cluster/install-status for a home that is a link, %s', (_mode, watchDisk) => {
  let base: string;
  let rig: Rig;
  let gk: Gatekeeper;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'carapace-linked-'));
    await mkdir(join(base, 'a/b/c'), { recursive: true, mode: 0o755 });
    await symlink(join(base, 'a/b/c/home'), join(base, 'home-link'));
    rig = await mirrorRig({ env: { CARAPACE_HOME: join(base, 'home-link') } });
    const installer = createInstaller({ settings: rig.installer.settings(), ...(watchDisk ? { watchDisk } : {}) });
    gk = createGatekeeper({ installer, port: PORT });
  });
  afterAll(async () => {
    gk.close();
    await rig.close();
    await rm(base, { recursive: true, force: true });
  });

  const get = async () => {
    const res = await gk.fetch(local('/cluster/install-status'));
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  test('the missing folder it leads to, installed into by POST /cluster/ensure-skypilot, is installed on the next request', async () => {
    expect((await get()).body).toMatchObject({ uv_installed: false, sky_installed: false });
    const ensure = await gk.fetch(post('/cluster/ensure-skypilot', {}));
    expect(ensure.status).toBe(200);
    expect((await get()).body).toMatchObject({ uv_installed: true, sky_installed: true });
  });

  test('a folder three levels above where the link leads, made writable by others or renamed', async () => {
    const far = join(base, 'a');
    await chmod(far, 0o777);
    try {
      expect((await get()).body.error?.code).toBe('home_not_trusted');
    } finally {
      await chmod(far, 0o755);
    }
    expect((await get()).body.sky_installed).toBe(true);
    // Renamed, the link leads nowhere: nothing is installed there any more.
    await rename(far, `${far}-moved`);
    try {
      expect((await get()).body).toMatchObject({ uv_installed: false, sky_installed: false });
    } finally {
      await rename(`${far}-moved`, far);
    }
    expect((await get()).body.sky_installed).toBe(true);
  });
});
