import { loadConfigFile } from '../config/load.js';
import { adhocPeriod, assertReportable, dailyPeriod, previousDay, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import { runReport } from '../pipeline/run-report.js';
import { formatInstant, nowNanos } from '../time/nanos.js';
import { reportError, shown } from './exit.js';
import { terminalPorts } from './ports.js';

export interface RunOptions {
  config: string;
  date?: string;
  from?: string;
  to?: string;
  archive?: string;
  outbox?: string;
  json?: boolean;
}

export function periodFromOptions(opts: Pick<RunOptions, 'date' | 'from' | 'to'>, config: Config, now: number): Period {
  if (opts.date !== undefined && (opts.from !== undefined || opts.to !== undefined)) {
    throw new InputError('use either --date or --from/--to, not both');
  }
  if ((opts.from === undefined) !== (opts.to === undefined)) {
    throw new InputError(opts.from === undefined ? '--to needs --from' : '--from needs --to');
  }
  if (opts.date !== undefined) return dailyPeriod(opts.date, config.timezone);
  if (opts.from !== undefined) return adhocPeriod(opts.from, opts.to!, config.timezone);
  return previousDay(config.timezone, now);
}

export async function runCommand(opts: RunOptions): Promise<number> {
  try {
    const config = await loadConfigFile(opts.config);
    const period = periodFromOptions(opts, config, Date.now());
    assertReportable(period, nowNanos(), config.report.maxPeriodDays);
    const log = (line: string) => process.stderr.write(`${shown(line)}\n`);
    log(`report for [${formatInstant(period.from)}, ${formatInstant(period.to)}) (${period.kind}, ${period.timezone})`);
    const ports = await terminalPorts(config, { ...(opts.archive ? { archive: opts.archive } : {}), ...(opts.outbox ? { outbox: opts.outbox } : {}), log });
    const result = await runReport(config, period, ports);
    const { report: _report, ...paths } = result;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(paths)}\n`);
    } else {
      process.stdout.write(`${result.existed ? 'already archived' : 'archived'}: ${result.reportDir}\n`);
      if (result.email) process.stdout.write(`email: ${result.email}\n`);
    }
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
