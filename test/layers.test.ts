/**
 * The layer rule (docs/architecture.md), checked on every import of the product's .ts files,
 * static, dynamic and type-only alike: a type import still ties two files together for a
 * reader. Playwright keeps a DEPS.list per folder for the same reason. Each failure names the
 * importing file, the line and the imported path.
 */
import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const PRODUCT = ['machines', 'actors', 'installer', 'adapters', 'demo', 'bench', 'bin', 'index.ts'];

/** The core's entry modules: the only files of installer/ that adapters, demo and index.ts may name. */
const CORE_ENTRIES = ['installer/index.ts', 'installer/status.ts'];

/** For each layer, the layers (folders or files) its files may import. */
const RULES: Record<string, string[]> = {
  machines: ['machines'],
  actors: ['actors', 'machines'],
  installer: ['installer', 'actors', 'machines'],
  // package.json: the CLI's --version reads the package's own version.
  adapters: ['adapters', 'demo', 'package.json', ...CORE_ENTRIES],
  demo: ['demo', ...CORE_ENTRIES],
  'index.ts': [...CORE_ENTRIES],
  // The benchmarks measure any layer from outside; they may import anything but the tests.
  bench: ['bench', 'machines', 'actors', 'installer', 'adapters', 'demo'],
};
/** Packages a layer may import besides node: builtins and its allowed files. */
const PACKAGES: Record<string, RegExp> = {
  machines: /^xstate$/,
  actors: /^(execa|tar)$/,
};

export interface Import {
  from: string;
  line: number;
  spec: string;
}

function walk(path: string, out: string[]): string[] {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) if (name !== 'node_modules') walk(join(path, name), out);
  } else if (path.endsWith('.ts')) out.push(path);
  return out;
}

/** Static, re-exported, type-only and dynamic (`import('...')`) imports with a literal path. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const patterns = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s*['"]([^'"]+)['"]/gm];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const spec = m[1] ?? '';
      found.push({ from: file, spec, line: text.slice(0, m.index).split('\n').length });
    }
  }
  return found;
}

const layerOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel);

/** Every rule broken, as `file:line imports spec (why)`. */
export function violations(root: string, files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    const layer = layerOf(rel);
    for (const imp of importsOf(rel, readFileSync(file, 'utf8'))) {
      const where = `${rel}:${imp.line} imports '${imp.spec}'`;
      if (!imp.spec.startsWith('.')) {
        if (imp.spec.startsWith('node:') || imp.spec.startsWith('bun')) continue;
        const allowed = PACKAGES[layer];
        if (allowed && !allowed.test(imp.spec)) out.push(`${where} (${layer}/ may not import packages but ${allowed.source})`);
        continue;
      }
      const target = relative(root, resolve(dirname(file), imp.spec));
      const targetLayer = layerOf(target);
      if (targetLayer === 'test') {
        out.push(`${where} (nothing outside test/ imports test/)`);
        continue;
      }
      const rules = RULES[layer];
      if (!rules) continue;
      if (!rules.some((allowed) => allowed === targetLayer || allowed === target)) {
        out.push(`${where} (${layer} may import only ${rules.join(', ')})`);
      }
    }
  }
  return out;
}

/** Import cycles between files, each as `a -> b -> a`. */
export function cycles(root: string, files: string[]): string[] {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const rel = relative(root, file);
    const targets = importsOf(rel, readFileSync(file, 'utf8'))
      .filter((imp) => imp.spec.startsWith('.'))
      .map((imp) => relative(root, resolve(dirname(file), imp.spec)));
    graph.set(rel, targets);
  }
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

const productFiles = () => PRODUCT.flatMap((entry) => walk(join(ROOT, entry), []));

describe('layers', () => {
  test('every import of product code follows the layer rule', () => {
    expect(violations(ROOT, productFiles())).toEqual([]);
  });

  test('product code has no import cycles', () => {
    expect(cycles(ROOT, productFiles())).toEqual([]);
  });

  test('the checker reads static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "const d = await import('./d.ts');",
      "import {\n  e,\n} from './e.ts';",
    ].join('\n');
    expect(importsOf('x.ts', text).map((i) => i.spec).sort()).toEqual(['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts']);
  });

  test('a forbidden import and a cycle are named with file and line', () => {
    const root = mkdtempSync(join(tmpdir(), 'layers-'));
    const write = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
      return join(root, rel);
    };
    const files = [
      write('actors/a.ts', "import { b } from '../installer/b.ts';\n"),
      write('installer/b.ts', "\nimport type { A } from '../actors/a.ts';\n"),
      write('demo/c.ts', "import { t } from '../test/t.ts';\n"),
    ];
    expect(violations(root, files)).toEqual([
      "actors/a.ts:1 imports '../installer/b.ts' (actors may import only actors, machines)",
      "demo/c.ts:1 imports '../test/t.ts' (nothing outside test/ imports test/)",
    ]);
    expect(cycles(root, files)).toEqual(['actors/a.ts -> installer/b.ts -> actors/a.ts']);
  });
});
