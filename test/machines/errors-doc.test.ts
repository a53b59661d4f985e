/** docs/errors.md is the user-facing list of codes; it must name every code with its exact hint. */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { HINTS } from '../../machines/errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

function documented(): Map<string, string | null> {
  const sections = new Map<string, string | null>();
  for (const part of doc.split(/^## /m).slice(1)) {
    const code = /^`([a-z_]+)`/.exec(part)?.[1];
    if (!code) continue;
    sections.set(code, /^Hint: (.+)$/m.exec(part)?.[1]?.trim() ?? null);
  }
  return sections;
}

test('docs/errors.md has a section for every code, and no other', () => {
  expect([...documented().keys()].sort()).toEqual(Object.keys(HINTS).sort());
});

test("each section's hint is the code's hint, word for word", () => {
  const sections = documented();
  for (const [code, hint] of Object.entries(HINTS)) expect({ code, hint: sections.get(code) }).toEqual({ code, hint });
});
