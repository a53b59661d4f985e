/**
 * docs/configuration.md against the code: every CARAPACE_* variable the product reads is
 * documented, and the page lists none the product no longer reads.
 */
import { expect, test } from 'bun:test';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../..');
const NAME = /\bCARAPACE_[A-Z0-9_]*[A-Z0-9]\b/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (/\.(ts|sh)$/.test(entry.name)) out.push(path);
  }
  return out;
}

async function namesIn(files: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const file of files) {
    for (const name of (await readFile(join(ROOT, file), 'utf8')).match(NAME) ?? []) if (!found.has(name)) found.set(name, file);
  }
  return found;
}

test('every CARAPACE_* variable in adapters/, installer/, actors/ and machines/ is in docs/configuration.md, and no other', async () => {
  const files = [...(await sourceFiles('adapters')), ...(await sourceFiles('installer')), ...(await sourceFiles('actors')), ...(await sourceFiles('machines')), 'bin/setup', 'Dockerfile'];
  const inCode = await namesIn(files);
  const doc = await readFile(join(ROOT, 'docs/configuration.md'), 'utf8');
  const inDoc = new Set(doc.match(NAME) ?? []);
  expect(inCode.size).toBeGreaterThan(10);
  const undocumented = [...inCode].filter(([name]) => !inDoc.has(name)).map(([name, file]) => `${name} (read in ${file})`);
  expect(undocumented).toEqual([]);
  const stale = [...inDoc].filter((name) => !inCode.has(name));
  expect(stale).toEqual([]);
  // Each documented variable has its own table row with a default and an example.
  for (const name of inCode.keys()) {
    expect(doc).toMatch(new RegExp(`^\\| \`${name}\` \\| [^|]+ \\| \`${name}=[^|]*\` \\|`, 'm'));
  }
});

test('relative links in README.md and docs/ point at files that exist', async () => {
  const pages = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const page of pages) {
    const text = await readFile(join(ROOT, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const path = resolve(ROOT, page, '..', target!);
      if (!(await readFile(path).then(() => true, (e) => e.code === 'EISDIR'))) broken.push(`${page} → ${target}`);
    }
  }
  expect(broken).toEqual([]);
});
