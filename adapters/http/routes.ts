/**
 * The route table: one line a route. `browserToken` marks GET routes a browser opens without
 * custom headers (a page, EventSource), which may carry the token as a cookie or `?token=`.
 */
import type { Handler } from './context.ts';
import { panelScript } from './handlers/assets.ts';
import { ensureSkypilot } from './handlers/ensure.ts';
import { events } from './handlers/events.ts';
import { launchCluster } from './handlers/launch.ts';
import { progressPage } from './handlers/page.ts';
import { installStatus } from './handlers/status.ts';
import { inspectPage } from './inspect-page.ts';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: Handler;
  browserToken?: boolean;
}

export const ROUTES: Route[] = [
  { method: 'GET', path: '/', handler: progressPage, browserToken: true },
  { method: 'GET', path: '/assets/panel.js', handler: () => panelScript(), browserToken: true },
  { method: 'GET', path: '/cluster/install-status', handler: installStatus },
  { method: 'POST', path: '/cluster/ensure-skypilot', handler: ensureSkypilot },
  { method: 'GET', path: '/cluster/events', handler: events, browserToken: true },
  { method: 'POST', path: '/cluster/launch', handler: launchCluster },
  { method: 'GET', path: '/cluster/install/inspect', handler: () => inspectPage(), browserToken: true },
];

export interface RouteMatch {
  route: Route | null;
  /** Methods the path answers to, for 405's Allow and preflights; empty for an unknown path. */
  allowed: string[];
}

/** Each table's routes by path, built once: every request looks its path up. */
const byPath = new WeakMap<readonly Route[], Map<string, Route[]>>();

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  let index = byPath.get(routes);
  if (!index) {
    index = new Map();
    for (const r of routes) index.set(r.path, [...(index.get(r.path) ?? []), r]);
    byPath.set(routes, index);
  }
  const forPath = index.get(path) ?? [];
  return { route: forPath.find((r) => r.method === method) ?? null, allowed: forPath.map((r) => r.method) };
}
