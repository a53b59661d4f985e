/**
 * How many bytes uv has written under some folders since a moment: a sign of life for the
 * long `uv tool install`, which has no machine-readable progress (astral-sh/uv#1566).
 *
 * What it counts: the size of every file whose ctime is at or after that moment, once per
 * inode. ctime is set by the kernel on each create, write, rename and hard link, and no
 * program can set it back (tar and unzip restore mtimes, not ctimes), so a wheel unpacked
 * into the cache, a Python extracted under python/ and a cache file linked into the tool
 * environment each count once, and nothing that was there before counts at all.
 *
 * Why not a full scan each tick: uv's cache may hold a gigabyte in tens of thousands of
 * folders. So each `measure()` walks for at most `budgetMs` and the walk resumes there on the
 * next call; a folder is listed again only when its ctime changed (a new entry, a rename in
 * or out), and files are looked at only in folders changed since the moment. A pass over a
 * large, unchanged cache costs one lstat a folder, spread over as many ticks as it needs; the
 * figure then lags, but never goes down. Why not the drop in free space (statfs): that counts
 * every other writer on the same disk, and goes down when anyone deletes.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

interface Listing {
  ctime: number;
  dirs: string[];
  files: string[];
}

/** Files are looked at this many at a time: enough to overlap the system calls, few enough to stop on budget. */
const BATCH = 64;

export class WrittenBytes {
  private queue: string[] = [];
  private readonly sizes = new Map<string, number>();
  private readonly listings = new Map<string, Listing>();
  private total = 0;

  /**
   * @param since ms since the epoch, the wall clock the kernel stamps ctimes with; a few ms
   *   early, since file times come from a clock that may lag the wall clock by a tick.
   */
  constructor(
    private readonly roots: readonly string[],
    private readonly since: number,
    private readonly budgetMs = 25,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Walks on for about the budget (checked between folders), then answers the bytes counted so far. */
  async measure(): Promise<number> {
    const deadline = this.clock() + this.budgetMs;
    if (this.queue.length === 0) this.queue = [...this.roots].reverse();
    while (this.queue.length > 0 && this.clock() < deadline) await this.visit(this.queue.pop() as string);
    return this.total;
  }

  private async visit(dir: string): Promise<void> {
    const info = await lstat(dir).catch(() => null);
    if (!info?.isDirectory()) return;
    let listing = this.listings.get(dir);
    if (!listing || listing.ctime !== info.ctimeMs) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      const changed = info.ctimeMs >= this.since;
      listing = {
        ctime: info.ctimeMs,
        dirs: entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name)),
        // A folder untouched since the moment holds no file created or moved in since; a file
        // rewritten in place there (uv does not) is the one thing this misses.
        files: changed ? entries.filter((e) => e.isFile()).map((e) => join(dir, e.name)) : [],
      };
      this.listings.set(dir, listing);
    }
    // Files in a changed folder are looked at on every pass: one may still be growing.
    for (let i = 0; i < listing.files.length; i += BATCH) {
      const stats = await Promise.all(listing.files.slice(i, i + BATCH).map((f) => lstat(f).catch(() => null)));
      for (const s of stats) if (s && s.ctimeMs >= this.since) this.count(`${s.dev}:${s.ino}`, s.size);
    }
    // Depth first: the queue holds one level's siblings per depth, not a whole level of the cache.
    for (let i = listing.dirs.length - 1; i >= 0; i--) this.queue.push(listing.dirs[i] as string);
  }

  /** Sizes only grow the figure: a temporary file renamed away keeps its inode, and a deleted one was still written. */
  private count(key: string, size: number): void {
    const before = this.sizes.get(key) ?? 0;
    if (size <= before) return;
    this.sizes.set(key, size);
    this.total += size - before;
  }
}
