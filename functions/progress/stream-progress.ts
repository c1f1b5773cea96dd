/**
 * What the replay tells about each stream as it reads it (source/replay.ts calls it). A leaf module: the replay,
 * the pipeline's ports and the progress displays share it without importing one another.
 */

/** How far one stream's replay is. `total` bounds what the period holds there (deleted messages count in it). */
export interface StreamProgress {
  source: string;
  stream: string;
  read: number;
  total: number;
  done: boolean;
}
