/**
 * POST /cluster/launch against an attacker on the same machine (issue 15): sky reads the bytes
 * that were checked however the path changes later, task files and folders another user could
 * change are refused, and what sky prints is redacted before it leaves the service.
 * The stand-in sky prints the task it was given ("task| " lines) and its working directory.
 * Files "of another user" are chowned to OTHER, so these tests run as root, as the suite does.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { execa } from 'execa';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatekeeper, type Gatekeeper } from '../../adapters/http/gatekeeper.ts';
import { createSkyRunner, type SkyRunner } from '../../installer/sky-runner.ts';
import { PORT, post, mirrorRig, type Rig } from './http-harness.ts';

const SETTINGS = { host: '127.0.0.1', port: PORT, token: null, allowed_origins: [] };
const OTHER = 4242;
const MINE = 'resources:\n  cloud: aws\nrun: echo mine\n';
const cleanups: Array<() => Promise<unknown> | unknown> = [];
// Closing a rig ends its installer and child processes (a 3 s grace before SIGKILL): more than
// the 5 s a hook gets by default on a loaded machine.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 30_000);

async function setup(opts: { env?: Record<string, string>; runner?: (rig: Rig) => SkyRunner } = {}) {
  const rig = await mirrorRig(opts.env ? { env: opts.env } : {});
  const gk = createGatekeeper({ installer: rig.installer, settings: SETTINGS, ...(opts.runner ? { skyRunner: opts.runner(rig) } : {}) });
  const work = await mkdtemp(join(tmpdir(), 'carapace-task-'));
  cleanups.push(() => rig.close(), () => gk.close(), () => rm(work, { recursive: true, force: true }));
  return { rig, gk, work };
}

function clusterLines(gk: Gatekeeper): string[] {
  return gk.events.log
    .replay('0')
    .map((e) => JSON.parse(new TextDecoder().decode(e.frame).split('\n').find((l) => l.startsWith('data: '))!.slice(6)))
    .filter((data) => data.cluster !== undefined)
    .map((data) => data.line as string);
}

async function launch(gk: Gatekeeper, task: string, cluster = 'dev') {
  const res = await gk.fetch(post('/cluster/launch', { cluster, task }));
  return { status: res.status, body: await res.json() };
}

describe('the task sky launches', () => {
  test('a symlink swapped in after the check never changes what sky reads', async () => {
    const theirs = await mkdtemp(join(tmpdir(), 'carapace-other-'));
    cleanups.push(() => rm(theirs, { recursive: true, force: true }));
    const foreign = join(theirs, 'task.yaml');
    await writeFile(foreign, 'run: echo theirs\n');
    await chown(foreign, OTHER, OTHER);
    let task = '';
    // Between the check and sky launch (here: while `sky check aws` runs) the path becomes a
    // link to another user's task, as an attacker on the machine would make it.
    const { gk, rig, work } = await setup({
      runner: (rig) => {
        const real = createSkyRunner({ settings: () => rig.installer.settings() });
        return {
          async checkAws(opts) {
            await rm(task);
            await symlink(foreign, task);
            return real.checkAws(opts);
          },
          launch: (cluster, path, opts) => real.launch(cluster, path, opts),
          stopApiServer: (opts) => real.stopApiServer(opts),
        };
      },
    });
    task = join(work, 'task.yaml');
    await writeFile(task, MINE);
    const { status } = await launch(gk, task);
    expect(status).toBe(200);
    const lines = clusterLines(gk);
    expect(lines.filter((l) => l.startsWith('task| '))).toEqual(['task| resources:', 'task|   cloud: aws', 'task| run: echo mine']);
    expect(lines).toContain(`cwd: ${work}`);
    expect(lines.join('\n')).not.toContain('theirs');
    expect(await readdir(join(rig.home, 'run'))).toEqual([]);
  }, 60_000);

  test('a task in a sticky folder (like /tmp), or named through a link of ours, is launched', async () => {
    const { gk, rig, work } = await setup();
    const sticky = join(work, 'shared');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    await writeFile(join(sticky, 'task.yaml'), MINE);
    expect((await launch(gk, join(sticky, 'task.yaml'))).status).toBe(200);
    await symlink(join(sticky, 'task.yaml'), join(work, 'link.yaml'));
    expect((await launch(gk, join(work, 'link.yaml'))).status).toBe(200);
    // sky runs in the folder of the file it was given.
    expect(clusterLines(gk).filter((l) => l.startsWith('cwd: '))).toEqual([`cwd: ${sticky}`, `cwd: ${sticky}`]);
    expect(await readdir(join(rig.home, 'run'))).toEqual([]);
  }, 60_000);

  test('a task another user could change, or that is not a file, is refused before anything installs', async () => {
    const { gk, rig, work } = await setup();
    const place = async (name: string, prepare: (dir: string, file: string) => Promise<unknown>) => {
      const dir = join(work, name);
      await mkdir(dir);
      const file = join(dir, 'task.yaml');
      await writeFile(file, MINE);
      await prepare(dir, file);
      return file;
    };
    // Moves the task one folder down, into a private folder inside the one prepared.
    const nest = async (file: string) => {
      const inner = join(file, '..', 'inner');
      await mkdir(inner, { mode: 0o700 });
      await writeFile(join(inner, 'task.yaml'), MINE);
      return join(inner, 'task.yaml');
    };
    const cases: Array<[string, string, number, string]> = [
      [await place('open-folder', (dir) => chmod(dir, 0o777)), 'folder writable by others', 403, 'task_not_trusted'],
      [await place('group-folder', (dir) => chmod(dir, 0o775)), 'folder writable by group', 403, 'task_not_trusted'],
      [await place('their-folder', (dir) => chown(dir, OTHER, OTHER)), 'folder of another user', 403, 'task_not_trusted'],
      [await place('deep', (dir) => chmod(dir, 0o757)).then(nest), 'a writable folder higher up', 403, 'task_not_trusted'],
      [await place('their-file', (_dir, file) => chown(file, OTHER, OTHER)), 'file of another user', 403, 'task_not_trusted'],
      [await place('open-file', (_dir, file) => chmod(file, 0o620)), 'file writable by group', 403, 'task_not_trusted'],
      [await place('fifo', (_dir, file) => rm(file).then(() => execa('mkfifo', [file]))), 'a FIFO', 400, 'invalid_request'],
    ];
    for (const [file, what, status, code] of cases) {
      const answer = await launch(gk, file);
      expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({ what, status, code });
      expect(answer.body.error.hint).toMatch(/./);
    }
    expect(await rig.uvInstalls()).toBe(0);
  }, 60_000);

  test('/proc, /sys and /dev are refused with 400 and a hint: the service environment never reaches cluster-log (F4)', async () => {
    const { gk, rig } = await setup();
    for (const task of ['/proc/self/environ', '/proc/self/cmdline', '/dev/zero']) {
      const answer = await launch(gk, task);
      expect({ task, status: answer.status, code: answer.body.error?.code }).toEqual({ task, status: 400, code: 'invalid_request' });
      expect(answer.body.error.hint).toMatch(/task YAML/);
    }
    expect(clusterLines(gk)).toEqual([]);
    expect(await rig.uvInstalls()).toBe(0);
  }, 60_000);
});

describe('what sky prints is redacted', () => {
  const SECRET = 'zq9-plain-secret-77';
  const env = { CUSTOM_API_TOKEN: SECRET, STANDIN_SKY_SAY: `sky echoed ${SECRET}` };

  test('a secret sky check prints reaches neither the 412 detail nor cluster-log', async () => {
    const { gk, work } = await setup({ env: { ...env, STANDIN_SKY_CHECK_FAIL: '1' } });
    await writeFile(join(work, 'task.yaml'), MINE);
    const { status, body } = await launch(gk, join(work, 'task.yaml'));
    expect(status).toBe(412);
    expect(body.error.detail).toContain('sky echoed ***');
    expect(clusterLines(gk)).toContain('sky echoed ***');
    expect(JSON.stringify(body) + clusterLines(gk).join('\n')).not.toContain(SECRET);
  }, 60_000);

  test('a secret a failing sky launch prints reaches neither the 502 detail nor cluster-log', async () => {
    const { gk, work } = await setup({ env: { ...env, STANDIN_SKY_LAUNCH_FAIL: '1' } });
    await writeFile(join(work, 'task.yaml'), MINE);
    const { status, body } = await launch(gk, join(work, 'task.yaml'));
    expect(status).toBe(502);
    expect(body.error.detail).toContain('sky echoed ***');
    expect(clusterLines(gk).filter((l) => l === 'sky echoed ***')).toHaveLength(2);
    expect(JSON.stringify(body) + clusterLines(gk).join('\n')).not.toContain(SECRET);
  }, 60_000);
});
