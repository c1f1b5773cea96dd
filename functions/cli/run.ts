import { loadConfigFile } from '../config/load.js';
import { assertReportable, requestedPeriod } from '../config/period.js';
import { runReport } from '../pipeline/run-report.js';
import { sliceCount } from '../slices/plan.js';
import { formatInstant, nowNanos } from '../time/nanos.js';
import { reportError, shownLine } from './exit.js';
import { terminalPorts } from './ports.js';
import { progressDisplay } from './progress-display.js';

export interface RunOptions {
  config: string;
  date?: string;
  from?: string;
  to?: string;
  archive?: string;
  outbox?: string;
  json?: boolean;
  /** No progress display (there is none anyway when stderr is not a terminal). */
  quiet?: boolean;
  /** Time slices each stream is read in at once (slices/plan.ts): 1 to 64, default 1. */
  slices?: string;
}

export async function runCommand(opts: RunOptions): Promise<number> {
  const display = progressDisplay(process.stderr, { quiet: opts.quiet === true });
  try {
    const slices = sliceCount(opts.slices ?? '1');
    const config = await loadConfigFile(opts.config);
    const period = requestedPeriod(opts, config.timezone, Date.now());
    assertReportable(period, nowNanos(), config.report.maxPeriodDays);
    // One line a call: a line break in a name from the archive (a leftover it removed) is shown escaped.
    const log = (line: string) => display.write(`${shownLine(line)}\n`);
    log(`report for [${formatInstant(period.from)}, ${formatInstant(period.to)}) (${period.kind}, ${period.timezone})`);
    const ports = await terminalPorts(config, {
      ...(opts.archive ? { archive: opts.archive } : {}),
      ...(opts.outbox ? { outbox: opts.outbox } : {}),
      log,
      stderr: display.write,
      ...(display.progress ? { progress: display.progress } : {}),
    });
    const result = await runReport(config, period, ports, { slices });
    display.stop();
    const { report: _report, ...paths } = result;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(paths)}\n`);
    } else {
      process.stdout.write(`${result.existed ? 'already archived' : 'archived'}: ${result.reportDir}\n`);
      if (result.email) process.stdout.write(`email: ${result.email}\n`);
    }
    return 0;
  } catch (err) {
    display.stop();
    return reportError(err);
  }
}
