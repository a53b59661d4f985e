/**
 * The gatekeeper: the installer and the sky runner behind HTTP and SSE, for the local user
 * only. `createGatekeeper` returns a plain fetch handler, so tests call it in-process with
 * `new Request(...)`; serve.ts puts it on Bun.serve. Every request passes, in order: Host
 * (421), Origin (403), preflight, route (404/405), token (401), then its handler.
 */
import {
  createSkyRunner,
  gatekeeperSettingsFromEnv,
  redactError,
  redactorFor,
  toInstallErrorData,
  type GatekeeperSettings,
  type Installer,
  type SkyRunner,
} from '../../installer/index.ts';
import type { RouteContext } from './context.ts';
import { errorResponse, HttpError, json } from './errors.ts';
import { createEventHub, type EventHub } from './event-hub.ts';
import type { EventLogLimits } from './event-log.ts';
import { matchRoute, ROUTES, type Route } from './routes.ts';
import { ALLOWED_REQUEST_HEADERS, checkHost, checkOrigin, checkToken, corsHeaders } from './security.ts';

export const HEARTBEAT_MS = 15_000;
export const RETRY_MS = 2_000;

/** The part of Bun's Server a handler may use; absent when a test calls `fetch` directly. */
export interface ServerControl {
  timeout?(req: Request, seconds: number): void;
}

export interface GatekeeperOptions {
  installer: Installer;
  settings?: GatekeeperSettings;
  skyRunner?: SkyRunner;
  /** The port clients must name in Host; serve() passes the bound one (port 0 picks it late). */
  port?: number | (() => number);
  heartbeatMs?: number;
  retryMs?: number;
  limits?: EventLogLimits;
  routes?: readonly Route[];
}

export interface Gatekeeper {
  fetch(req: Request, server?: ServerControl): Promise<Response>;
  readonly events: EventHub;
  /** Open event streams; back to its baseline once clients leave. */
  subscriberCount(): number;
  settings: GatekeeperSettings;
  close(): void;
}

export function createGatekeeper(opts: GatekeeperOptions): Gatekeeper {
  const settings = opts.settings ?? gatekeeperSettingsFromEnv();
  // One redactor for everything the service says: error bodies and every event on the stream
  // (sky's cluster-log lines included), with the token and the environment's secrets.
  const redact = redactorFor(installerEnv(opts.installer), [settings.token]);
  const events = createEventHub(opts.installer, opts.limits, redact);
  const skyRunner = opts.skyRunner ?? createSkyRunner({ settings: () => opts.installer.settings() });
  const routes = opts.routes ?? ROUTES;
  const port = typeof opts.port === 'function' ? opts.port : () => (opts.port as number | undefined) ?? settings.port;
  const stream = { heartbeatMs: opts.heartbeatMs ?? HEARTBEAT_MS, retryMs: opts.retryMs ?? RETRY_MS };
  const launching = new Set<string>();

  async function handle(req: Request, server: ServerControl | undefined): Promise<{ res: Response; cors: string | null }> {
    checkHost(req, port());
    const cors = checkOrigin(req, port(), settings.allowed_origins);
    const url = new URL(req.url);
    const { route, allowed } = matchRoute(routes, req.method, url.pathname);
    if (allowed.length === 0) {
      throw new HttpError(404, 'not_found', `no route ${url.pathname}`, { hint: 'See docs/api.md for the routes.' });
    }
    if (req.method === 'OPTIONS') return { res: preflight(req, allowed), cors };
    if (!route) {
      throw new HttpError(405, 'method_not_allowed', `${url.pathname} does not answer ${req.method}`, {
        hint: `Use ${allowed.join(' or ')}.`,
        headers: { allow: [...allowed, 'OPTIONS'].join(', ') },
      });
    }
    checkToken(req, url, settings.token, route.browserToken === true);
    const ctx: RouteContext = {
      req,
      url,
      installer: opts.installer,
      events,
      skyRunner,
      settings,
      stream,
      launching,
      keepOpen: () => server?.timeout?.(req, 0),
    };
    return { res: await route.handler(ctx), cors };
  }

  function preflight(req: Request, allowed: string[]): Response {
    const headers: Record<string, string> = {
      allow: [...allowed, 'OPTIONS'].join(', '),
      'access-control-allow-methods': allowed.join(', '),
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
      'access-control-max-age': '600',
    };
    // Chrome's Private Network Access asks before a public page reaches loopback; only pages
    // that passed the Origin check get this far.
    if (req.headers.get('access-control-request-private-network') === 'true') {
      headers['access-control-allow-private-network'] = 'true';
    }
    return new Response(null, { status: 204, headers });
  }

  return {
    events,
    settings,
    subscriberCount: () => events.subscriberCount(),
    close: () => events.close(),
    async fetch(req, server) {
      let res: Response;
      let cors: string | null = null;
      try {
        ({ res, cors } = await handle(req, server));
      } catch (error) {
        if (error instanceof HttpError) {
          res = errorResponse(error, redact);
          // A refused origin must not learn anything: no CORS headers, so its page cannot read the answer.
          if (error.status !== 403 && error.status !== 421) cors = safeCors(req);
        } else {
          const data = redactError(toInstallErrorData(error, opts.installer.phase() ?? 'checking'), redact);
          // An install error (a home another user controls, a bad setting) is the service's
          // state, answered as ensure-skypilot answers it; only a bug is a 500.
          res = json({ ok: false, error: data }, data.code === 'internal' ? 500 : 503);
          cors = safeCors(req);
        }
      }
      if (cors !== null) for (const [name, value] of Object.entries(corsHeaders(cors))) res.headers.set(name, value);
      return res;
    },
  };

  function safeCors(req: Request): string | null {
    try {
      return checkOrigin(req, port(), settings.allowed_origins);
    } catch {
      return null;
    }
  }
}

/** The environment the installer runs with; the process's when its settings are unusable. */
function installerEnv(installer: Installer): Record<string, string | undefined> {
  try {
    return installer.settings().env;
  } catch {
    return process.env;
  }
}
