/** Which interpreter an entry point names: the way detection finds `sky`'s environment without readlink. */
import { describe, expect, test } from 'bun:test';
import { scriptInterpreter } from '../../actors/tool-env.ts';

describe('scriptInterpreter', () => {
  test("uv's plain shebang names the environment's python", () => {
    expect(scriptInterpreter('#!/h/.carapace/tools/environments/skypilot-nightly/bin/python\n# -*- coding: utf-8 -*-\n')).toBe(
      '/h/.carapace/tools/environments/skypilot-nightly/bin/python',
    );
  });

  test("uv's /bin/sh trampoline (long paths, spaces) names it on the second line, quotes unescaped", () => {
    const head = `#!/bin/sh\n'''exec' '/Users/o'\\''neil/My Home/tools/environments/sky/bin/python' "$0" "$@"\n' '''\n# -*- coding: utf-8 -*-\n`;
    expect(scriptInterpreter(head)).toBe("/Users/o'neil/My Home/tools/environments/sky/bin/python");
  });

  test('a relocatable trampoline, an env shebang and a plain shell script name their first word', () => {
    const relocatable = `#!/bin/sh\n'''exec' "$(dirname -- "$(realpath -- "$0")")"/'python' "$0" "$@"\n' '''\n`;
    expect(scriptInterpreter(relocatable)).toBe('/bin/sh');
    expect(scriptInterpreter('#!/usr/bin/env python3\nimport sys\n')).toBe('/usr/bin/env');
    expect(scriptInterpreter('#! /bin/sh -e\necho hi\n')).toBe('/bin/sh');
  });

  test('a native binary has no interpreter', () => {
    expect(scriptInterpreter('\x7fELF\x02\x01\x01')).toBeNull();
    expect(scriptInterpreter('')).toBeNull();
  });
});
