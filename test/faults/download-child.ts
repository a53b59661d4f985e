/**
 * Runs one real downloadUv in a process of its own and prints its result and its peak RSS
 * (VmHWM, the kernel's high-water mark for this process since exec), so a test can bound
 * the memory of a download without counting the test runner's own.
 *
 *   bun test/faults/download-child.ts '{"CARAPACE_HOME": ..., "CARAPACE_UV_DOWNLOAD_BASE": ...}'
 */
import { readFile } from 'node:fs/promises';
import { runDownload } from './harness.ts';

const env = JSON.parse(process.argv[2]!) as Record<string, string>;
const { ok, error } = await runDownload(env);
// Without /proc (macOS), ru_maxrss: the test starts this process through sh so that it is
// not inflated by the forker's own high-water mark.
const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? process.resourceUsage().maxRSS);
console.log(JSON.stringify({ ok: ok !== null, error, peak_rss_kb: peakKb }));
