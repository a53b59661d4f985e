/**
 * GET /assets/panel.js: the install panel's script and the typed client (adapters/client.ts),
 * bundled once per process with Bun's bundler, so the page runs the same client the desktop
 * app does and loads nothing from elsewhere.
 */
import { resolve } from 'node:path';
import { HttpError } from '../errors.ts';

const ENTRY = resolve(import.meta.dir, '../panel/panel-app.ts');
let bundle: Promise<string> | null = null;

async function build(): Promise<string> {
  const built = await Bun.build({ entrypoints: [ENTRY], target: 'browser', format: 'esm', minify: true });
  if (!built.success || !built.outputs[0]) throw new Error(`bundling the panel failed: ${built.logs.map(String).join('; ')}`);
  return built.outputs[0].text();
}

export async function panelScript(): Promise<Response> {
  bundle ??= build();
  let text: string;
  try {
    text = await bundle;
  } catch (error) {
    bundle = null;
    throw new HttpError(500, 'internal', (error as Error).message, { hint: 'This is a bug in the gatekeeper; report it with this message.' });
  }
  return new Response(text, {
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
  });
}
