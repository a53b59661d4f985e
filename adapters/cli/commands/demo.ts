/**
 * `demo [--keep]`: a full install from a local stand-in uv release into a temporary home. The
 * real sources (GitHub, PyPI) need the internet; this shows the same code path end to end with
 * a loopback mirror that serves a uv stand-in built on the spot. The home it made is removed
 * at the end, unless --keep asks otherwise or the install failed (its log is in there).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInstaller, settingsFromEnv } from '../../../installer/index.ts';
import type { CommandIO } from '../io.ts';
import { formatStatus } from './status.ts';
import { install } from './install.ts';

export async function demo(io: CommandIO, opts: { json: boolean; keep?: boolean }): Promise<void> {
  // Loaded only here: the install path never knows the stand-in exists.
  const { startMirror } = await import('../../../demo/mirror.ts');
  const mirror = await startMirror();
  // The folder mkdtemp made is the demo's own, so removing it removes nothing of the user's.
  const home = await mkdtemp(join(tmpdir(), 'carapace-demo-'));
  let ok = false;
  const say = (text: string) => (opts.json ? io.stderr : io.stdout).write(text);
  try {
    say(
      [
        'carapace-sky demo',
        `  This installs from a LOCAL STAND-IN uv release served at ${mirror.base},`,
        '  because the real sources (GitHub Releases, PyPI) need the internet.',
        `  Everything else is the real installer. Temporary CARAPACE_HOME: ${home}`,
        '',
      ].join('\n') + '\n',
    );
    const env = {
      ...io.env,
      CARAPACE_HOME: home,
      CARAPACE_UV_DOWNLOAD_BASE: mirror.base,
      // The stand-in is not the real 0.10.2, so the built-in digest would (rightly) refuse it.
      CARAPACE_UV_SHA256: mirror.sha256(),
    };
    const installer = createInstaller({ settings: settingsFromEnv(env) });
    await install(async () => installer, { ...io, env }, opts);
    say('\nFinal status:\n' + formatStatus(await installer.getStatus()));
    say('\nThe sky above is the stand-in; run `carapace-sky install` for the real thing.\n');
    ok = true;
  } finally {
    await mirror.close();
    if (ok && !opts.keep) {
      await rm(home, { recursive: true, force: true });
      say(`Removed the temporary CARAPACE_HOME ${home}.\n`);
    } else {
      say(`The temporary CARAPACE_HOME is kept at ${home}${ok ? '' : ' (its logs/ say what failed)'}; remove it when done.\n`);
    }
  }
}
