/**
 * The hidden `.partial-…` names a write uses before its real name appears, and whether one that is found was left
 * by a run that is gone. A leaf: the local archive and the outbox name their temporary entries the same way.
 *
 * A run cleans the leftovers of its own bundle and delivery, but two runs of one period may overlap (a retry while
 * the first is still writing), and removing a live run's staging folder would fail it. So every staging name
 * carries who wrote it, `<pid>@<host>.<nonce>` (the nonce tells this process from an earlier one that had its pid,
 * as every run in a container may be pid 1): a leftover of a process of this host that no longer exists is stale at
 * once; any leftover is stale once nothing in it changed for STALE_AFTER_MS (its writer is gone or stuck, or it is
 * from another host, or named before names carried their writer).
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

export const STAGING_PREFIX = '.partial-';

/**
 * How long a leftover must stay unchanged before it is taken as stale, whoever wrote it: far beyond a Lambda run
 * (15 minutes), and a run in progress changes its staging folder every few seconds while it reads and again once it
 * has rendered the documents.
 */
export const STALE_AFTER_MS = 60 * 60 * 1000;

const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const NONCE = randomBytes(3).toString('hex');
const OWNER = /-(\d+)@([0-9a-f]{8})(?:\.([0-9a-f]{6}))?-/;

/**
 * `.partial-<base>-<pid>@<host>.<nonce>-`: what a staging name of this process starts with (the caller adds a
 * unique end).
 */
export function stagingPrefixOf(base: string): string {
  return `${STAGING_PREFIX}${base}-${process.pid}@${HOST}.${NONCE}-`;
}

/** Whether `name` is a staging name made for `base` (by any process, under any naming this software used). */
export function isStagingOf(name: string, base: string): boolean {
  return name.startsWith(`${STAGING_PREFIX}${base}-`);
}

export interface StagingVerdict {
  stale: boolean;
  /** Why, for a log line: "process 4242 on this host, which wrote it, is gone". */
  why: string;
}

/** Whether a staging entry was left by a run that is over; `modifiedMs`: the newest change in it. */
export function judgeStaging(name: string, modifiedMs: number, nowMs: number): StagingVerdict {
  const minutes = Math.floor(Math.max(0, nowMs - modifiedMs) / 60_000);
  if (nowMs - modifiedMs >= STALE_AFTER_MS) return { stale: true, why: `unchanged for ${minutes} minutes` };
  const owner = OWNER.exec(name.slice(STAGING_PREFIX.length));
  if (owner && owner[2] === HOST) {
    const pid = Number(owner[1]);
    if (pid === process.pid && owner[3] === NONCE) return { stale: false, why: 'this process is writing it' };
    if (pid === process.pid)
      return { stale: true, why: `an earlier process ${pid} on this host was writing it (this one has its pid now)` };
    return processExists(pid)
      ? { stale: false, why: `process ${pid} on this host, which is writing it, is still running` }
      : { stale: true, why: `process ${pid} on this host, which was writing it, is gone` };
  }
  const writer = owner ? `a process on another host (${owner[1]}@${owner[2]})` : 'an unnamed process';
  return {
    stale: false,
    why:
      `written by ${writer} and changed ${minutes} minutes ago: it may belong to a run in progress ` +
      `(removed once unchanged for ${STALE_AFTER_MS / 60_000} minutes)`,
  };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * `mkdir -p`, failing with the file system's own reason: Node's recursive mkdir says ENOENT where a read-only or
 * forbidden folder refused it, which would tell a user the wrong thing. Asked again one folder at a time, the
 * first folder that cannot be made says why.
 */
export async function makeFolders(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
    const missing: string[] = [];
    for (let at = dir; !(await exists(at)) && path.dirname(at) !== at; at = path.dirname(at)) missing.unshift(at);
    for (const folder of missing) await mkdir(folder);
    throw err;
  }
}

async function exists(where: string): Promise<boolean> {
  return access(where).then(
    () => true,
    () => false,
  );
}
