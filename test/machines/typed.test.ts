/**
 * Machine code is typed through `params` (docs/architecture.md): no casts and no non-null
 * assertions in machines/. The one `as` allowed is XState's own idiom for declaring types
 * in `setup({ types: { context: {} as C } })`, which converts nothing at run time.
 */
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dir, '../../machines');

/** Each cast or `!` in the code (comments and strings left out), as `file:line: text`. */
function unsafe(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$|\/\*.*?\*\/|^\s*\*.*$/g, '').replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"/g, "''");
    const casts = [...line.matchAll(/\bas\s+(?!const\b)/g)].filter((m) => !/\{\}\s*$/.test(line.slice(0, m.index)));
    const bangs = line.match(/[\w)\]]!(?!=)/g) ?? [];
    if (casts.length > 0 || bangs.length > 0) found.push(`${file}:${i + 1}: ${raw.trim()}`);
  });
  return found;
}

test('machines/ has no casts and no non-null assertions', () => {
  const files = readdirSync(DIR).filter((name) => name.endsWith('.ts'));
  expect(files.flatMap((name) => unsafe(`machines/${name}`, readFileSync(join(DIR, name), 'utf8')))).toEqual([]);
});

test('the scan finds a cast and a non-null assertion, and lets `{} as T` and `as const` pass', () => {
  const text = "const a = (e as unknown as X).y;\nconst b = c.d!;\ntypes: { context: {} as C },\nconst e = ['x'] as const;\nif (a !== b) {}";
  expect(unsafe('x.ts', text)).toEqual(['x.ts:1: const a = (e as unknown as X).y;', 'x.ts:2: const b = c.d!;']);
});
