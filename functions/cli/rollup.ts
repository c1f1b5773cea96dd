import { loadConfigFile } from '../config/load.js';
import { assertReportable, assertRollupSpan, MAX_ROLLUP_SPAN_DAYS, rollupPeriod } from '../config/period.js';
import { runRollup, type RollupPeriod } from '../pipeline/run-rollup.js';
import { formatInstant, nowNanos } from '../time/nanos.js';
import { reportError, shownLine } from './exit.js';
import { terminalPorts } from './ports.js';

export interface RollupOptions {
  config: string;
  from?: string;
  to?: string;
  month?: string;
  quarter?: string;
  year?: string;
  archive?: string;
  json?: boolean;
}

/** `sox-report rollup`: a period of whole days from the sealed daily bundles alone; exit 0 as for `run`. */
export async function rollupCommand(opts: RollupOptions): Promise<number> {
  try {
    const config = await loadConfigFile(opts.config);
    const period = rollupPeriod(opts, config.timezone) as RollupPeriod;
    assertRollupSpan(period, MAX_ROLLUP_SPAN_DAYS, 'days (ten years) may be rolled up at once');
    assertReportable(period, nowNanos());
    // One line a call: a line break in a name from the archive (a day's problem, a leftover) is shown escaped.
    const log = (line: string) => process.stderr.write(`${shownLine(line)}\n`);
    log(
      `rollup of ${period.days.first} to ${period.days.last} ` +
        `[${formatInstant(period.from)}, ${formatInstant(period.to)}) (${period.timezone})`,
    );
    const ports = await terminalPorts(config, { ...(opts.archive ? { archive: opts.archive } : {}), log });
    const { report: _report, ...paths } = await runRollup(config, period, ports);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(paths)}\n`
        : `${paths.existed ? 'already archived' : 'archived'}: ${paths.reportDir}\n`,
    );
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
