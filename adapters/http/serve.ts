/**
 * The gatekeeper on Bun.serve. The idle timeout is lifted per request for the event stream
 * and for calls that wait on an install (see RouteContext.keepOpen); every other connection
 * keeps Bun's limit, so idle sockets do not pile up.
 */
import type { GatekeeperSettings, Installer, SkyRunner } from '../../installer/index.ts';
import { createGatekeeper, type Gatekeeper, type GatekeeperOptions } from './gatekeeper.ts';
import { unguardedBind } from './security.ts';

export interface ServeOptions extends Omit<GatekeeperOptions, 'port' | 'settings'> {
  installer: Installer;
  settings: GatekeeperSettings;
  skyRunner?: SkyRunner;
}

export interface RunningGatekeeper {
  gatekeeper: Gatekeeper;
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const IDLE_TIMEOUT_S = 30;

export function serve(opts: ServeOptions): RunningGatekeeper {
  // Checked here too, not only by the CLI: no caller may open an unguarded port.
  const refused = unguardedBind(opts.settings.host, opts.settings.token);
  if (refused) throw new Error(refused);
  let gatekeeper: Gatekeeper | null = null;
  const server = Bun.serve({
    hostname: opts.settings.host,
    port: opts.settings.port,
    idleTimeout: IDLE_TIMEOUT_S,
    fetch: (req, srv) => gatekeeper!.fetch(req, srv),
  });
  const port = server.port ?? opts.settings.port;
  gatekeeper = createGatekeeper({ ...opts, port });
  const host = opts.settings.host.includes(':') ? `[${opts.settings.host}]` : opts.settings.host;
  return {
    gatekeeper,
    port,
    url: `http://${host}:${port}`,
    async stop() {
      // Streams first, so the server's graceful stop is not held open by them.
      gatekeeper!.close();
      await server.stop(true);
      // The status memo's watch holds descriptors; a server started again watches anew.
      opts.installer.close();
    },
  };
}
