import type { StreamProgress } from '../../functions/progress/stream-progress.js';

/** A progress update of the transactions stream, as the replay gives it. */
export const tx = (read: number, total: number, done = false): StreamProgress => ({
  source: 'app',
  stream: 'TRANSACTIONS',
  read,
  total,
  done,
});

/** A progress update of the system events stream. */
export const sys = (read: number, total: number, done = false): StreamProgress => ({
  source: 'audit',
  stream: 'SYS_EVENTS',
  read,
  total,
  done,
});
