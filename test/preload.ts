/**
 * Loaded before every test file (bunfig.toml): all temporary folders of one `bun test` run,
 * including those of the CLI processes it starts, go under one folder that is removed at the
 * end, so repeated runs do not fill the system's temp folder with homes and mirrors.
 */
import { afterAll } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runDir = mkdtempSync(join(tmpdir(), 'carapace-test-run-'));
process.env.TMPDIR = runDir;

afterAll(() => {
  rmSync(runDir, { recursive: true, force: true });
});
