/**
 * `npm run bench`: runs every benchmark in bench/ in turn (they are programs, not tests),
 * or only those named: `npm run bench -- download`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

const dir = import.meta.dir;
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
let failed = 0;
for (const file of benches) {
  console.log(`\n## bench/${file}`);
  const result = await execa(process.execPath, [join(dir, file)], { stdio: 'inherit', reject: false });
  if (result.exitCode !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
