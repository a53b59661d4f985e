import { expect, test } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { main } from '../../adapters/cli/main.ts';
import type { CommandIO } from '../../adapters/cli/io.ts';

const DOC = new URL('../../docs/statechart.md', import.meta.url);

async function graphCommand(format: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io: CommandIO = { env: {}, cwd: process.cwd(), stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } };
  const code = await main(['graph', '--format', format], io);
  return { code, stdout };
}

test('docs/statechart.md embeds exactly what `carapace-sky graph --format mermaid` prints', async () => {
  const doc = await readFile(DOC, 'utf8');
  const block = /<!-- statechart:mermaid:begin -->\n```mermaid\n([\s\S]*?)```\n<!-- statechart:mermaid:end -->/.exec(doc);
  expect(block, 'docs/statechart.md lost its mermaid markers').not.toBeNull();
  const { code, stdout } = await graphCommand('mermaid');
  expect(code).toBe(0);
  // On failure: npx bun adapters/cli/main.ts graph --format mermaid, and paste it between the markers.
  expect(block![1]).toBe(stdout);
});

test('graph --format dot prints a digraph; an unknown format is a usage error', async () => {
  const dot = await graphCommand('dot');
  expect(dot.code).toBe(0);
  expect(dot.stdout).toMatch(/^digraph "install" \{\n[\s\S]*\}\n$/);
  expect((await graphCommand('svg')).code).toBe(2);
});
