/**
 * The docs against the code: every gatekeeper route is in docs/api.md, every command that
 * takes --json has its shape in docs/cli.md, every InstallStatus field is described, and the
 * environment the CLI and the download read (beyond CARAPACE_*, see configuration-doc) is named.
 */
import { expect, test } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ROUTES } from '../../adapters/http/routes.ts';
import { COMMAND_SPECS } from '../../adapters/cli/usage.ts';

const ROOT = resolve(import.meta.dir, '../..');
const doc = (name: string) => readFile(resolve(ROOT, name), 'utf8');

test('docs/api.md lists every route of the gatekeeper', async () => {
  const api = await doc('docs/api.md');
  const missing = ROUTES.filter((r) => !api.includes(`| \`${r.method} ${r.path}\` |`)).map((r) => `${r.method} ${r.path}`);
  expect(missing).toEqual([]);
});

test('docs/cli.md shows the --json shape of every command that takes --json, and lists every command', async () => {
  const cli = await doc('docs/cli.md');
  for (const [name, spec] of Object.entries(COMMAND_SPECS)) {
    expect(cli).toContain(`| \`${name}\` |`);
    if (spec.flags.json) expect(cli).toContain(`**\`${name} --json\`**`);
  }
});

test('sky_problem and the final progress fields are documented for the HTTP API and the CLI', async () => {
  for (const page of ['docs/api.md', 'docs/cli.md']) {
    const text = await doc(page);
    for (const field of ['sky_problem', '"phase":"complete"', '"phase":"error"', 'log_path']) expect(`${page}: ${text.includes(field)}`).toBe(`${page}: true`);
  }
});

test('the environment the CLI and the download read is documented: proxies, CAs, colour and terminals', async () => {
  const config = await doc('docs/configuration.md');
  for (const name of ['ALL_PROXY', 'SSL_CERT_DIR', 'NO_COLOR', 'FORCE_COLOR', 'TERM=dumb', '`CI`']) {
    expect(`${name}: ${config.includes(name)}`).toBe(`${name}: true`);
  }
});
