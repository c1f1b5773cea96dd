import { Command, CommanderError, Option } from 'commander';
import { reportError } from './exit.js';
import { runCommand } from './run.js';
import { rollupCommand } from './rollup.js';
import { provisionCommand } from './provision.js';
import { demoCommand } from './demo.js';
import { verifyCommand } from './verify.js';
import { certificateCommand } from './certificate.js';
import { registerIncidentsCommand } from './incidents.js';
import { registerAttestCommands } from './attest.js';

/** Runs the sox-report CLI and returns its exit code: 0 done, 1 failed, 2 bad input, 3 drift found. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('sox-report')
    .description('SOX control reports from NATS audit, advisory and transaction streams')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();
  let exitCode = 0;

  program
    .command('run')
    .description('report on a period: yesterday in the configured time zone unless --date or --from/--to say otherwise')
    .option('--config <file>', 'configuration file', 'sox-report.json')
    .option('--date <YYYY-MM-DD>', 'a calendar day in the configured time zone')
    .option('--from <ISO>', 'start of an ad-hoc period (inclusive), e.g. 2026-11-26T05:00:00Z')
    .option('--to <ISO>', 'end of an ad-hoc period (exclusive)')
    .option('--archive <dir>', 'archive directory (overrides the configuration)')
    .option('--outbox <dir>', 'outbox directory for the email (overrides the configuration)')
    .option('--json', 'print one JSON object with reportDir and reportJson to stdout')
    .option('--quiet', 'no progress bars on stderr (they show only when stderr is a terminal)')
    .option('--slices <n>', 'read each stream in n time slices at once, 1 to 64 (the same figures and files)', '1')
    .action(async (opts) => {
      exitCode = await runCommand(opts);
    });

  program
    .command('rollup')
    .description('a rollup of whole days from the sealed daily bundles alone (no replay): each day verified first')
    .option('--config <file>', 'configuration file', 'sox-report.json')
    .option('--from <YYYY-MM-DD>', 'first day of the rollup (inclusive)')
    .option('--to <YYYY-MM-DD>', 'last day of the rollup (inclusive)')
    .option('--month <YYYY-MM>', 'every day of a month, e.g. 2026-11')
    .option('--quarter <YYYY-Qn>', 'every day of a quarter, e.g. 2026-Q4')
    .option('--year <YYYY>', 'every day of a year, e.g. 2026')
    .option('--archive <dir>', 'archive directory (overrides the configuration)')
    .option('--json', 'print one JSON object with reportDir and reportJson to stdout')
    .action(async (opts) => {
      exitCode = await rollupCommand(opts);
    });

  program
    .command('provision')
    .description('create the capture streams with tamper-resistant settings; report drift of existing ones')
    .option('--config <file>', 'configuration file', 'sox-report.json')
    .option('--dry-run', 'print the plan without creating anything')
    .action(async (opts) => {
      exitCode = await provisionCommand(opts);
    });

  program
    .command('verify')
    .description('check every bundle of an archive and the chain of its daily series; exit 0 only if all hold')
    .argument('<archive>', 'archive directory or s3://bucket/prefix')
    .option('--from <YYYY-MM-DD>', 'first day to verify (inclusive)')
    .option('--to <YYYY-MM-DD>', 'last day to verify (inclusive)')
    .option(
      '--trust <pem>',
      'certificate or public key the bundles must be signed with (repeatable)',
      (pem: string, pems: string[] | undefined) => [...(pems ?? []), pem],
    )
    .option('--recompute', 'also re-perform every report from its evidence file and name each figure that differs')
    .option('--json', 'print the full result as JSON')
    .action(async (archive: string, opts) => {
      exitCode = await verifyCommand(archive, opts);
    });

  program
    .command('certificate')
    .description('make the self-signed certificate of a KMS signing key, signed by the key itself (kms:Sign)')
    .requiredOption('--kms-key <id>', 'KMS key id, ARN or alias (ECC_NIST_P256, RSA_2048 or RSA_3072, SIGN_VERIFY)')
    .option('--subject <organisation>', 'organisation (O) named in the certificate')
    .option('--region <region>', 'AWS region of the key (default: from the environment)')
    .option('--out <file>', 'write the PEM there (never overwrites) instead of to stdout')
    .action(async (opts) => {
      exitCode = await certificateCommand(opts);
    });

  program
    .command('demo')
    .description('the whole flow on this machine: a local nats-server, activity, and its report')
    .addOption(new Option('--dir <dir>', 'working directory for the demo (created; must be empty)').default('sox-demo'))
    .addOption(new Option('--operator', 'run it in operator (JWT) mode: accounts and users as JWTs, creds files'))
    .action(async (opts) => {
      exitCode = await demoCommand(opts);
    });

  registerIncidentsCommand(program, (code) => {
    exitCode = code;
  });

  registerAttestCommands(program, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err);
  }
}
