/**
 * The gatekeeper's status answer is reused only while every path it depends on keeps its
 * identity (installer/status-memo.ts): unchanged disk, no reads; any change, read again on the
 * very next call. Driven through the real gatekeeper over a real install from the stand-in.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmod, chown, lchown, rename, rm, stat, symlink, readlink, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { getInstallStatus } from '../../actors/check.ts';
import { memoizedStatus } from '../../installer/status-memo.ts';
import { statusSettingsFromEnv } from '../../installer/status-settings.ts';
import { createGatekeeper } from '../../adapters/http/gatekeeper.ts';
import { local, mirrorRig, PORT, type Rig } from '../adapters/http-harness.ts';

let rig: Rig;

beforeAll(async () => {
  rig = await mirrorRig();
  const out = await rig.installer.ensureSkypilot();
  if (!out.ok) throw new Error(out.error.message);
});
afterAll(async () => {
  await rig.close();
});

describe('memoizedStatus', () => {
  test('reads the disk again only when a path it depends on changed', async () => {
    let reads = 0;
    const status = memoizedStatus(async (s: ReturnType<typeof statusSettingsFromEnv>) => {
      reads++;
      return getInstallStatus(s);
    });
    const settings = statusSettingsFromEnv({ CARAPACE_HOME: rig.home });
    const first = await status(settings);
    expect(await status(settings)).toEqual(first);
    expect(await status(settings)).toEqual(first);
    expect(reads).toBe(1);
    // The receipt rewritten in place: same folder entries, new size and times.
    const receipt = join(rig.home, 'tools/environments/skypilot-nightly/uv-receipt.toml');
    await writeFile(receipt, (await readFile(receipt, 'utf8')) + '\n');
    await status(settings);
    expect(reads).toBe(2);
    await status(settings);
    expect(reads).toBe(2);
    // Another home is another answer.
    await status(statusSettingsFromEnv({ CARAPACE_HOME: join(rig.home, 'elsewhere') }));
    expect(reads).toBe(3);
  });
});

describe('GET /cluster/install-status', () => {
  test('shows a change on disk on the very next request: sky removed, a new version, an unsafe home', async () => {
    const gk = createGatekeeper({ installer: rig.installer, port: PORT });
    const get = async () => {
      const res = await gk.fetch(local('/cluster/install-status'));
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    try {
      expect((await get()).body).toMatchObject({ sky_installed: true, sky_version: '1.0.0.dev20260214' });
      expect((await get()).body.sky_installed).toBe(true);

      const sky = join(rig.home, 'tools/bin/sky');
      const target = await readlink(sky);
      await rm(sky);
      expect((await get()).body.sky_installed).toBe(false);
      await symlink(target, sky);
      expect((await get()).body.sky_installed).toBe(true);

      // The stand-in's `uv tool upgrade` renames the dist-info and rewrites METADATA, as uv does.
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

      // Each change is refused on the very next request, and undone, answered again.
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

      // The uv replaced by another build (a new inode at the same path).
      const uv = join(rig.home, 'uv/bin/uv');
      await writeFile(`${uv}.new`, (await readFile(uv, 'utf8')).replace(/uv_version='[^']*'/, "uv_version='0.10.9'"), { mode: 0o755 });
      await rename(`${uv}.new`, uv);
      expect((await get()).body.uv_version).toBe('0.10.9');
    } finally {
      gk.close();
    }
  });
});
