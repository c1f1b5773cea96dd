/**
 * The replay's progress on a terminal: one bar per stream under way on stderr (cli-progress), `source/stream
 * read/total rate time-left`, taken off the screen once no stream is under way. Nothing at all when stderr is not a
 * terminal or with --quiet: a pipe or a file gets exactly the lines it always got.
 */
import cliProgress from 'cli-progress';
import { progressFigures, streamLabel } from '../progress/format.js';
import { progressTracker, type StreamView } from '../progress/progress-model.js';
import type { StreamProgress } from '../progress/stream-progress.js';

export interface ProgressDisplay {
  /** The progress port; undefined when nothing is shown, so the replay does not size the streams for nobody. */
  progress?: (update: StreamProgress) => void;
  /** Writes text to stderr without tearing a bar that is showing. */
  write(text: string): void;
  /** Takes the bars off the screen; the CLI calls it before its own output and on errors. Idempotent. */
  stop(): void;
}

/** The parts of process.stderr the display uses (a test gives its own). */
export type DisplayStream = Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>;

export interface DisplayOptions {
  quiet?: boolean;
  /** Milliseconds; the rate and the time left are measured with it. */
  now?: () => number;
}

interface BarPayload {
  label: string;
  figures: string;
}

const format: cliProgress.GenericFormatter = (options, params, payload: BarPayload) =>
  `${payload.label} ${cliProgress.Format.BarFormat(params.progress, options)} ${payload.figures}`;

export function progressDisplay(stderr: DisplayStream, options: DisplayOptions = {}): ProgressDisplay {
  const write = (text: string) => void stderr.write(text);
  if (options.quiet || stderr.isTTY !== true) return { write, stop: () => undefined };
  const tracker = progressTracker(options.now ?? Date.now);
  let bars: cliProgress.MultiBar | null = null;
  const shown = new Map<string, cliProgress.SingleBar>();

  const stop = () => {
    bars?.stop();
    bars = null;
    shown.clear();
  };
  const barFor = (view: StreamView): cliProgress.SingleBar => {
    const key = `${view.source}\u0000${view.stream}`;
    const existing = shown.get(key);
    if (existing) return existing;
    bars ??= new cliProgress.MultiBar(
      {
        stream: stderr as NodeJS.WriteStream,
        format,
        barsize: 20,
        clearOnComplete: true,
        // Lines cut at the terminal's width, and the cursor left alone: an interrupted run (Ctrl-C) leaves the
        // terminal's modes as they were.
        linewrap: true,
        hideCursor: false,
        // A line written above the bars moves them: draw them again even when their text is unchanged.
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = bars.create(view.total, view.read, payloadOf(view));
    shown.set(key, bar);
    return bar;
  };

  return {
    progress(update) {
      const run = tracker.record(update);
      const view = run.streams.find((s) => s.source === update.source && s.stream === update.stream)!;
      // A stream with nothing under way (its first word is "done") gets its summary line from the run, no bar.
      if (update.done && !shown.has(`${view.source}\u0000${view.stream}`)) return;
      const bar = barFor(view);
      bar.setTotal(view.total);
      bar.update(view.read, payloadOf(view));
      if (run.streams.every((s) => s.done)) {
        // The final figures are drawn once before the bars go, however fast the stream was.
        bars?.update();
        stop();
      }
    },
    write(text) {
      if (!bars) return write(text);
      bars.log(text.endsWith('\n') ? text : `${text}\n`);
      bars.update();
    },
    stop,
  };
}

function payloadOf(view: StreamView): BarPayload {
  return { label: streamLabel(view), figures: progressFigures(view) };
}
