import { execFileSync } from 'node:child_process';

/**
 * Mounts a tmpfs of `size` (e.g. '16k') on `dir`, for a real full disk; false where that is not possible (not root,
 * or no mount allowed in this sandbox), so the test can say why it skips.
 */
export function mountTmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Remounts the tmpfs on `dir` with other options: 'ro', 'rw', or a new 'size=…'. */
export function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir]);
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir]);
}

export const NO_TMPFS = 'a full disk needs a tmpfs mount: root and a sandbox that allows mount';
