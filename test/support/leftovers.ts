import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every path under a folder whose name is a staging name, at any depth. */
export async function leftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(at, entry.name);
      if (entry.name.startsWith('.partial-')) found.push(full);
      else if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(dir);
  return found;
}

/** The emails an outbox holds. */
export const emlsIn = async (outbox: string) =>
  (await readdir(outbox).catch(() => [])).filter((n) => n.endsWith('.eml'));
