/** What a route handler gets: the request and the gatekeeper's parts, nothing global. */
import type { GatekeeperSettings, Installer, SkyRunner } from '../../installer/index.ts';
import type { EventHub } from './event-hub.ts';

export interface RouteContext {
  req: Request;
  url: URL;
  installer: Installer;
  events: EventHub;
  skyRunner: SkyRunner;
  settings: GatekeeperSettings;
  stream: { heartbeatMs: number; retryMs: number };
  /** Clusters with a launch in progress; a second launch of one is refused. */
  launching: Set<string>;
  /** Lifts the server's idle timeout for a request that waits on an install or a stream. */
  keepOpen(): void;
}

export type Handler = (ctx: RouteContext) => Response | Promise<Response>;
