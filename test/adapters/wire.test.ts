/**
 * The gatekeeper's wire shapes are declared once, in adapters/wire.ts, and the server and
 * the client both take them from there: a second declaration could drift from the first.
 */
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
const WIRE = join(ROOT, 'adapters/wire.ts');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Names a file declares as `interface X` or `type X =`. */
const declared = (text: string) => [...text.matchAll(/^(?:export\s+)?(?:interface|type)\s+(\w+)\b/gm)].map((m) => m[1]);

/** The same wire shape under other names, by its fields. */
const SHAPES = [/code: string;\s*phase: string \| null;\s*message: string;\s*hint: string;\s*detail: string \| null;/, /cluster: string;\s*command: 'check' \| 'launch';/];

test('every wire shape is declared in adapters/wire.ts and nowhere else', () => {
  const names = new Set(declared(readFileSync(WIRE, 'utf8')));
  expect([...names].sort()).toEqual(['ClusterLogData', 'ErrorBody', 'InstallStateData', 'InstallStatusAnswer', 'LaunchAnswer', 'ProgressData', 'StartAnswer']);
  const twice: string[] = [];
  for (const file of [...files(join(ROOT, 'adapters')), ...files(join(ROOT, 'installer'))]) {
    if (file === WIRE) continue;
    const text = readFileSync(file, 'utf8');
    for (const name of declared(text)) if (names.has(name)) twice.push(`${relative(ROOT, file)}: ${name}`);
    for (const shape of SHAPES) if (shape.test(text)) twice.push(`${relative(ROOT, file)}: ${shape.source.slice(0, 30)}`);
  }
  expect(twice).toEqual([]);
});

test('the client and the server import their wire types from adapters/wire.ts', () => {
  for (const file of ['adapters/client.ts', 'adapters/http/errors.ts', 'adapters/http/event-hub.ts']) {
    expect(readFileSync(join(ROOT, file), 'utf8')).toMatch(/from '(?:\.\.\/|\.\/)+wire\.ts'/);
  }
});
