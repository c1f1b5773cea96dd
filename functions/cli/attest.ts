/**
 * `sox-report attest …` and `sox-report attestations list`: a reviewer's sign-off of an archived bundle, recorded
 * with the NATS identity of the connection beside the name they give (--by).
 */
import type { Command } from 'commander';
import { named } from '../text/named.js';
import { openArchive } from '../archive/index.js';
import { attest } from '../attest/attest.js';
import type { Attestation, AttestationDecision } from '../attest/model.js';
import { bundleOfDate, bundleOfRollup } from '../attest/request.js';
import { readAttestations, reviewSource } from '../attest/stream.js';
import { loadConfigFile } from '../config/load.js';
import { InputError, type InputNamer } from '../errors.js';
import { connectSource } from '../source/connect.js';
import { terminalJson, visible } from '../text/visible.js';
import { nowNanos } from '../time/nanos.js';
import { optionName, reportError, shownLine } from './exit.js';

// One line a call: a bundle or time in the attestation record is anyone's who may publish there, shown escaped.
const out = (line = '') => process.stdout.write(`${shownLine(line)}\n`);

export interface AttestOptions {
  config: string;
  date?: string;
  bundle?: string;
  rollup?: string;
  archive?: string;
  by?: string;
  decision?: string;
  note?: string;
  json?: boolean;
}

/** One attestation in one line: everything in it that came from a person is shown, never raw. */
export function attestationLine(a: Attestation): string {
  const n = a.identity.nats;
  const shownAccount = n?.account ? named(n.account, n.accountName) : null;
  const shownUser = n?.user ? named(n.user, n.userName) : null;
  const nats = [shownAccount, shownUser].filter(Boolean).join('/');
  const who = [nats && `NATS ${nats}`, a.identity.iamPrincipal && `IAM ${a.identity.iamPrincipal}`].filter(Boolean);
  return (
    `${a.at} ${a.bundle} ${a.decision} by ${visible(a.by)}${who.length ? ` [${visible(who.join(', '))}]` : ''} ` +
    `manifest ${a.manifestSha256}${a.note ? `: ${visible(a.note)}` : ''}`
  );
}

export async function attestCommand(opts: AttestOptions): Promise<number> {
  // A bundle the archive lacks is named by what the person typed: --date for a day, --rollup for a rollup,
  // --bundle for a path.
  const typed = opts.date !== undefined ? '--date' : opts.rollup !== undefined ? '--rollup' : '--bundle';
  const namer: InputNamer = (field) => (field === 'bundle' ? typed : optionName(field));
  try {
    const given = (['date', 'rollup', 'bundle'] as const).filter((o) => opts[o] !== undefined);
    if (given.length > 1) throw new InputError({ field: given[0]!, notWith: given.slice(1) });
    if (given.length === 0)
      throw new InputError(
        'attest needs --date YYYY-MM-DD, --rollup FROM_TO or --bundle PATH: the bundle you reviewed',
      );
    const bundle =
      opts.date !== undefined
        ? bundleOfDate(opts.date)
        : opts.rollup !== undefined
          ? bundleOfRollup(opts.rollup)
          : opts.bundle!;
    const config = await loadConfigFile(opts.config);
    const request = {
      bundle,
      decision: (opts.decision ?? '') as AttestationDecision,
      note: opts.note ?? null,
      by: opts.by ?? '',
    };
    const archive = openArchive(opts.archive ?? config.archive);
    const recorded = await attest(
      config,
      { archive, connect: (s) => connectSource(s.name, s.nats), now: nowNanos },
      request,
      { iamPrincipal: null },
    );
    if (opts.json) process.stdout.write(`${terminalJson(recorded)}\n`);
    else out(`recorded: ${attestationLine(recorded)}`);
    return 0;
  } catch (err) {
    return reportError(err, namer);
  }
}

export async function listAttestationsCommand(opts: {
  config: string;
  from?: string;
  to?: string;
  json?: boolean;
}): Promise<number> {
  try {
    const from = opts.from === undefined ? null : bundleOfDate(opts.from).replaceAll('/', '');
    const to = opts.to === undefined ? null : bundleOfDate(opts.to).replaceAll('/', '');
    if (from !== null && to !== null && from > to)
      throw new InputError({ field: 'from', value: opts.from!, isAfter: { field: 'to', value: opts.to! } });
    const config = await loadConfigFile(opts.config);
    const source = reviewSource(config);
    const nc = await connectSource(source.name, source.nats);
    try {
      const record = await readAttestations(nc, config);
      // Daily bundles by their day (inclusive); --from/--to leave other bundles out.
      const inRange = (bundle: string) => {
        if (from === null && to === null) return true;
        const day = /^daily\/\d{4}\/\d{2}\/\d{2}$/.test(bundle) ? bundle.replaceAll('/', '') : null;
        return day !== null && (from === null || day >= from) && (to === null || day <= to);
      };
      const listed = (record?.attestations ?? []).filter((s) => inRange(s.attestation.bundle));
      if (opts.json) {
        process.stdout.write(
          `${terminalJson({ recorded: record !== null, attestations: listed, anomalies: record?.anomalies ?? [] })}\n`,
        );
        return 0;
      }
      if (record === null) out('no attestation has been recorded');
      else if (listed.length === 0) out('no attestation');
      else for (const { attestation } of listed) out(attestationLine(attestation));
      if (record?.anomalies.length)
        for (const a of record.anomalies) process.stderr.write(`${shownLine(`warning: ${a.problem}`)}\n`);
      return 0;
    } finally {
      await nc.close().catch(() => undefined);
    }
  } catch (err) {
    return reportError(err);
  }
}

/** Adds `attest` and `attestations list` to the program; each sets the exit code through `setExitCode`. */
export function registerAttestCommands(program: Command, setExitCode: (code: number) => void): void {
  const config = ['--config <file>', 'configuration file', 'sox-report.json'] as const;
  program
    .command('attest')
    .description("sign off an archived bundle: records the decision with the connection's NATS identity and --by")
    .option('--date <YYYY-MM-DD>', 'the daily bundle of this day')
    .option('--rollup <FROM_TO>', 'the rollup bundle of these days (2026-11-01_2026-11-30, as rollup/<from>_<to>)')
    .option('--bundle <path>', 'the bundle by its archive path (daily/2026/11/24, adhoc/…, rollup/…)')
    .option('--by <name>', 'who is signing off (required)')
    .option('--decision <decision>', 'approved or exception (required)')
    .option('--note <text>', 'what you found (required for an exception)')
    .option('--archive <dir>', 'archive directory or s3://bucket/prefix (overrides the configuration)')
    .option(...config)
    .option('--json', 'print the attestation as recorded')
    .action(async (opts) => setExitCode(await attestCommand(opts)));

  program
    .command('attestations')
    .description('the attestation record')
    .command('list')
    .description('every attestation in the order recorded')
    .option('--from <YYYY-MM-DD>', 'first day of the daily bundles to list (inclusive)')
    .option('--to <YYYY-MM-DD>', 'last day (inclusive)')
    .option(...config)
    .option('--json', 'print one JSON object')
    .action(async (opts) => setExitCode(await listAttestationsCommand(opts)));
}
