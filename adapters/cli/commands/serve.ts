/**
 * `serve [--host H] [--port P]`: the gatekeeper until Ctrl-C or SIGTERM. Stopping cancels a
 * running install so uv's process group and the staging folder do not outlive the service.
 */
import { MIN_REMOTE_TOKEN, unguardedBind } from '../../http/security.ts';
import { gatekeeperSettingsFromEnv, type Installer } from '../../../installer/index.ts';
import { ExitError } from '../errors.ts';
import type { CommandIO } from '../io.ts';

export async function serve(
  installer: Installer,
  io: CommandIO,
  flags: { host?: string | true; port?: string | true },
  signal?: AbortSignal,
): Promise<void> {
  // The flags mirror the variables, so one validation covers both.
  const settings = gatekeeperSettingsFromEnv({
    ...io.env,
    ...(typeof flags.host === 'string' ? { CARAPACE_GATEKEEPER_HOST: flags.host } : {}),
    ...(typeof flags.port === 'string' ? { CARAPACE_GATEKEEPER_PORT: flags.port } : {}),
  });
  const refused = unguardedBind(settings.host, settings.token);
  if (refused) {
    io.stderr.write(
      `carapace-sky: ${refused}\n` +
        `hint: set CARAPACE_GATEKEEPER_TOKEN to a random secret of at least ${MIN_REMOTE_TOKEN} characters, e.g. $(openssl rand -hex 32) (clients send Authorization: Bearer <it>), or serve on 127.0.0.1.\n`,
    );
    // A command line that cannot be served safely is a bad command line, like a bad --port.
    throw new ExitError(2);
  }
  const { serve: start } = await import('../../http/serve.ts');
  let running: ReturnType<typeof start>;
  try {
    running = start({ installer, settings });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    io.stderr.write(
      `carapace-sky: cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message}\n` +
        (code === 'EADDRINUSE' ? 'hint: another program uses that port; pass --port or set CARAPACE_GATEKEEPER_PORT.\n' : ''),
    );
    throw new ExitError(1);
  }
  io.stderr.write(`carapace gatekeeper listening on ${running.url} (CARAPACE_HOME=${installer.settings().home})\n`);
  if (settings.token) io.stderr.write('  every route needs Authorization: Bearer <CARAPACE_GATEKEEPER_TOKEN>\n');
  await new Promise<void>((resolve) => {
    // Without a signal the service runs until the process ends.
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stderr.write('carapace gatekeeper stopping\n');
  // Wait for the attempt's clean-up, so no staging or uv process outlives the service.
  if (installer.phase() !== null) await installer.cancel('the gatekeeper is stopping');
  await running.stop();
}
