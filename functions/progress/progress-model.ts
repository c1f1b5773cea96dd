/**
 * How far a run's replay is, from the StreamProgress updates and the times they arrived: per stream read/total,
 * the rate over a recent window and the time left. Pure: the adapters (terminal, Lambda log) bring the clock.
 */
import type { StreamProgress } from './stream-progress.js';

/**
 * How far back a rate looks: long enough to smooth the bursts of a batched fetch, short enough to follow a stream
 * that slows down.
 */
export const RATE_WINDOW_MS = 10_000;

/** Messages read by a moment (milliseconds on the adapter's clock). */
export interface ProgressSample {
  at: number;
  read: number;
}

export interface StreamTrack extends StreamProgress {
  /** The stream's recent samples, oldest first. */
  samples: ProgressSample[];
}

export interface ProgressState {
  /** In the order the streams started. */
  streams: StreamTrack[];
  /** Messages read over all streams: the run's own rate. */
  samples: ProgressSample[];
}

export interface StreamView extends StreamProgress {
  /** Messages per second over the window; null until two samples are apart in time. */
  rate: number | null;
  /** Whole seconds left at that rate; 0 once done, null when the rate is unknown or zero. */
  etaSeconds: number | null;
}

export interface RunView {
  read: number;
  rate: number | null;
  /** Time left of the streams started so far (the replay sizes a stream only as it starts). */
  etaSeconds: number | null;
  streams: StreamView[];
}

export function emptyProgress(): ProgressState {
  return { streams: [], samples: [] };
}

/** The state after `update` arrived at `at`; `state` is left as it was. */
export function recordProgress(
  state: ProgressState,
  update: StreamProgress,
  at: number,
  windowMs = RATE_WINDOW_MS,
): ProgressState {
  const { source, stream, read, total, done } = update;
  const index = state.streams.findIndex((s) => s.source === source && s.stream === stream);
  const previous = state.streams[index];
  // A stream read again from its start (another run in this process) is new: its old samples are not its rate.
  const history = previous && !(previous.done && !done) ? previous.samples : [];
  const samples = windowed([...history, { at, read }], windowMs);
  const track: StreamTrack = { source, stream, read, total, done, samples };
  const streams = index >= 0 ? state.streams.with(index, track) : [...state.streams, track];
  const sum = streams.reduce((n, s) => n + s.read, 0);
  const last = state.samples.at(-1);
  // The sum falls only when a stream starts again; a rate across that would be negative.
  const overall = last && last.read <= sum ? state.samples : [];
  return { streams, samples: windowed([...overall, { at, read: sum }], windowMs) };
}

/** Messages per second between the oldest and the newest sample; null when they are not apart in time. */
export function rateOf(samples: readonly ProgressSample[]): number | null {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.at <= first.at) return null;
  return ((last.read - first.read) * 1000) / (last.at - first.at);
}

/** Whole seconds to read `remaining` messages at `rate`, rounded up. */
export function secondsLeft(remaining: number, rate: number | null): number | null {
  if (remaining <= 0) return 0;
  if (rate === null || rate <= 0) return null;
  return Math.ceil(remaining / rate);
}

export function streamView(track: StreamTrack): StreamView {
  const { source, stream, read, total, done } = track;
  const rate = rateOf(track.samples);
  return { source, stream, read, total, done, rate, etaSeconds: done ? 0 : secondsLeft(total - read, rate) };
}

export function runView(state: ProgressState): RunView {
  const streams = state.streams.map(streamView);
  const rate = rateOf(state.samples);
  const remaining = streams.reduce((n, s) => n + (s.done ? 0 : Math.max(0, s.total - s.read)), 0);
  const read = streams.reduce((n, s) => n + s.read, 0);
  return { read, rate, etaSeconds: secondsLeft(remaining, rate), streams };
}

/** The state, kept for an adapter: each update is stamped with the injected clock. */
export interface ProgressTracker {
  record(update: StreamProgress): RunView;
  view(): RunView;
}

export function progressTracker(now: () => number, windowMs = RATE_WINDOW_MS): ProgressTracker {
  let state = emptyProgress();
  return {
    record(update) {
      state = recordProgress(state, update, now(), windowMs);
      return runView(state);
    },
    view: () => runView(state),
  };
}

/** The samples of the last `windowMs` before the newest one, and always the two newest: sparse updates keep a rate. */
function windowed(samples: ProgressSample[], windowMs: number): ProgressSample[] {
  const newest = samples.at(-1);
  if (!newest) return samples;
  let start = 0;
  while (start < samples.length - 2 && samples[start]!.at < newest.at - windowMs) start++;
  return start === 0 ? samples : samples.slice(start);
}
