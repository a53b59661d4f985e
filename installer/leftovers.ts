/**
 * The clean-up at the start of every attempt, under the install lock: what killed attempts left
 * behind, by the names installer/owned.ts and actors/generations.ts give the product's own.
 */
import { rm } from 'node:fs/promises';
import { abandonedGenerations, migrateLayout, unmarkedGenerations, uvLeftoversOnly } from '../actors/generations.ts';
import type { Layout } from '../actors/layout.ts';
import { pidAlive } from './lock.ts';
import { leftoversOf, removeOwned } from './owned.ts';

/**
 * Removes what killed attempts left behind: the product's staging entries, and the temporary
 * files of dead processes beside the lock, the logs and the cache (installer/owned.ts names
 * them; nothing else is touched). Only the lock holder may, since staging is the holder's alone.
 */
export async function clearLeftovers(layout: Layout): Promise<void> {
  // First, so a migration cut short is finished and its generation is not taken for a leftover.
  await migrateLayout(layout);
  await removeOwned(await leftoversOf(layout, pidAlive));
  // A build that never became current is all uv's and the product's; an unmarked folder of a
  // dead builder goes only if it holds nothing but what uv writes.
  for (const generation of await abandonedGenerations(layout, pidAlive)) await rm(generation, { recursive: true, force: true });
  for (const folder of await unmarkedGenerations(layout, pidAlive)) {
    if (await uvLeftoversOnly(folder)) await rm(folder, { recursive: true, force: true });
  }
}
