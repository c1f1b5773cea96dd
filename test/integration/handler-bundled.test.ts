/**
 * Issue 6, item 6: the handlers exactly as the CDK stack bundles them (NodejsFunction, local esbuild, no Docker),
 * each asset folder copied alone into an empty folder and run with plain node above a node_modules that holds
 * only what the Lambda runtime provides (the AWS SDK), against a real nats-server and the SES emulator; S3, KMS,
 * SSM and Secrets Manager are aws-sdk-client-mock mocks, inside the child, of the clients the bundle made (the
 * stack bundles its own SDK, so the harness reaches them through the handler module's `awsClients` export).
 * What the child archives must pass `verify`, and the email the emulator received must carry the archived PDF
 * byte for byte. Anything the bundle forgot (pdfkit, fonts, templates, zod, nats) fails it.
 */
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { ENV } from '../../functions/handlers/environment.js';
import { generateActivity, type ActivityLedger } from '../../functions/local/activity.js';
import { selfSignedCertificate } from '../../functions/seal/local-signer.js';
import { mapResults } from '../support/fan-out-map.js';
import { functionUrlEvent } from '../support/function-url.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { resolvedEnvironment, synthesizeHandlerAssets, type HandlerAsset } from '../support/lambda-asset.js';
import type { HarnessInput, HarnessOutput, StoredObject } from '../support/lambda-harness.js';
import { folderBytes, linkPackages, runtimePackageNames } from '../support/lambda-runtime.js';
import { startSesEmulator, type EmulatedEmail, type SesEmulator } from '../support/lambda-ses.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ON_DEMAND = 'createOnDemandHandler(';
const SCHEDULED = 'createScheduledHandler(';
const ROLLUP = 'createRollupHandler(';
const FAN_OUT_PLAN = 'createFanOutPlanHandler(';
const FAN_OUT_SLICE = 'createFanOutSliceHandler(';
const FAN_OUT_MERGE = 'createFanOutMergeHandler(';
const ATTEST = 'createAttestHandler(';
const STAGING = 'sox-slice-staging';
const BUCKET = 'sox-evidence';
const PREFIX = 'reports';
const TIMEZONE = 'America/New_York';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
/** Stand-ins for what CloudFormation fills in at deploy time (resource names and ARNs). */
const DEPLOYED: Record<string, string> = {
  [ENV.configParameter]: '/nats-sox-reports/config',
  [ENV.certificateParameter]: '/nats-sox-reports/signing-certificate',
  [ENV.natsSecretArn]: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:nats-sox-reports/nats-AbCdEf',
  [ENV.archive]: `s3://${BUCKET}/${PREFIX}`,
  [ENV.kmsKeyId]: KEY_ARN,
  [ENV.sesConfigurationSet]: 'nats-sox-reports',
  [ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:111122223333:nats-sox-reports-alerts',
  [ENV.sliceStaging]: `s3://${STAGING}/runs`,
};
/** What the handlers cannot run without: the stack must set every one. */
const REQUIRED_ENV = [ENV.configParameter, ENV.natsSecretArn, ENV.archive, ENV.kmsKeyId, ENV.certificateParameter];
const FROM = 'sox-reports@example.com';
const CONFIGURED_TO = ['cfo@example.com'];
const RECIPIENTS = ['auditor@example.com', 'controller@example.com'];
/** What the bundle must carry itself: none of it may be reachable from the runtime's node_modules. */
const MUST_BE_BUNDLED = [
  'zod',
  'pdfkit',
  'dejavu-fonts-ttf',
  'handlebars',
  'luxon',
  '@nats-io/transport-node',
  '@aws-lambda-powertools/logger',
  'nodemailer',
];
const COLD_IMPORTS = 5;

const run = promisify(execFile);

interface PreparedFunction {
  asset: HandlerAsset;
  taskDir: string;
  handlerFile: string;
  env: Record<string, string>;
}

let bed: TestBed;
let ses: SesEmulator;
let work: string;
let onDemand: PreparedFunction;
let scheduled: PreparedFunction;
let rollup: PreparedFunction;
let fanOut: { plan: PreparedFunction; slice: PreparedFunction; merge: PreparedFunction };
let attest: PreparedFunction;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sox-lambda-'));
  // The task folders must not see this repository's node_modules through any parent folder.
  expect(existsSync(path.join(path.dirname(work), 'node_modules'))).toBe(false);
  // Each server is kept as soon as it runs, and all are waited for, so afterAll stops them whatever else failed.
  const synthesized = synthesizeHandlerAssets(REPO, path.join(work, 'cdk.out'), [
    ON_DEMAND,
    SCHEDULED,
    ROLLUP,
    FAN_OUT_PLAN,
    FAN_OUT_SLICE,
    FAN_OUT_MERGE,
    ATTEST,
  ]);
  const started = await Promise.allSettled([
    startTestBed('2.10.27').then((testBed) => (bed = testBed)),
    startSesEmulator(REPO).then((emulator) => (ses = emulator)),
    synthesized,
  ]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const assets = await synthesized;

  const runtimeDir = path.join(work, 'runtime');
  const runtime = runtimePackageNames(REPO);
  expect(runtime.filter((name) => MUST_BE_BUNDLED.includes(name))).toEqual([]);
  await linkPackages(REPO, path.join(runtimeDir, 'node_modules'), runtime);
  await build({
    entryPoints: [path.join(REPO, 'test/support/lambda-harness.ts')],
    outfile: path.join(runtimeDir, 'harness.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // aws-sdk-client-mock (and sinon) from the runtime folder, as the harness's own dependency.
    external: ['aws-sdk-client-mock'],
    logLevel: 'warning',
  });
  onDemand = await prepare(assets[ON_DEMAND], path.join(runtimeDir, 'on-demand'), 'sox-report-on-demand');
  scheduled = await prepare(assets[SCHEDULED], path.join(runtimeDir, 'scheduled'), 'sox-report-scheduled');
  rollup = await prepare(assets[ROLLUP], path.join(runtimeDir, 'rollup'), 'sox-report-rollup');
  fanOut = {
    plan: await prepare(assets[FAN_OUT_PLAN], path.join(runtimeDir, 'fan-out-plan'), 'sox-report-fan-out-plan'),
    // A slice reads NATS and writes the staging bucket: no archive, no signing key, no mail.
    slice: await prepare(assets[FAN_OUT_SLICE], path.join(runtimeDir, 'fan-out-slice'), 'sox-report-fan-out-slice', [
      ENV.configParameter,
      ENV.natsSecretArn,
      ENV.sliceStaging,
    ]),
    merge: await prepare(assets[FAN_OUT_MERGE], path.join(runtimeDir, 'fan-out-merge'), 'sox-report-fan-out-merge'),
  };
  // The attest function renders nothing and replays nothing: its bundle is the handler alone.
  attest = await prepare(assets[ATTEST], path.join(runtimeDir, 'attest'), 'sox-report-attest', [
    ENV.configParameter,
    ENV.natsSecretArn,
    ENV.archive,
  ]);
  await rm(path.join(work, 'cdk.out'), { recursive: true, force: true });
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([bed?.close(), ses?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** Only the asset folder, copied into an empty folder (what Lambda unpacks into /var/task), and its environment. */
async function prepare(
  asset: HandlerAsset,
  taskDir: string,
  functionName: string,
  required: readonly string[] = REQUIRED_ENV,
): Promise<PreparedFunction> {
  await cp(asset.dir, taskDir, { recursive: true, verbatimSymlinks: true });
  const deployed = resolvedEnvironment(asset, DEPLOYED);
  expect(required.filter((name) => deployed[name] === undefined)).toEqual([]);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: taskDir,
    TZ: ':UTC',
    LANG: 'C.UTF-8',
    // What Lambda sets. Tracing is active, so the bundled X-Ray SDK runs (its UDP segments go nowhere).
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIATESTTESTTESTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key',
    AWS_SESSION_TOKEN: 'test-session-token',
    LAMBDA_TASK_ROOT: taskDir,
    _HANDLER: asset.handler,
    _X_AMZN_TRACE_ID: 'Root=1-674581e0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    ...deployed,
    // SES v2 goes to the emulator; every other service is mocked inside the child.
    AWS_ENDPOINT_URL_SESV2: ses.endpoint,
  };
  return { asset, taskDir, handlerFile: path.join(taskDir, asset.entryFile), env };
}

describe('the bundled handlers, each from an empty folder', () => {
  it('on demand: archives a bundle verify accepts and mails its PDF; ' +
    'a retry neither rebuilds nor mails again', async () => {
    const started = Date.now() - 1_000;
    const ledger = await generateActivity(bed.hub, { transactions: 6 });
    const from = new Date(Math.floor(started / 1000) * 1000).toISOString();
    const to = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000).toISOString();
    while (Date.now() <= Date.parse(to)) await new Promise((r) => setTimeout(r, 100));

    const payload = { from, to, recipients: RECIPIENTS };
    const emailsBefore = (await ses.emails()).length;
    const output = await runHarness(onDemand, [
      { payload, requestId: 'req-first' },
      { payload, requestId: 'req-retry' },
      { payload: { date: '2026-02-30' }, requestId: 'req-bad' },
    ]);

    const [first, retry, bad] = output.outcomes;
    const produced = expectProduced(first, 'adhoc');
    expect(produced.reportDir).toMatch(new RegExp(`^s3://${BUCKET}/${PREFIX}/adhoc/\\d{8}T\\d{6}Z_\\d{8}T\\d{6}Z$`));
    expect(retry).toEqual({ result: { ...produced, existed: true, email: null } });
    expect(bad).toEqual({
      result: { ok: false, error: { code: 'bad-input', message: '"date": "2026-02-30" is not a calendar date' } },
    });

    const bundle = await expectVerifiedArchive(output, 'adhoc');
    expectReportOf(JSON.parse(bundle('report.json').toString('utf8')) as ReportV1, ledger);
    expect(output.calls.filter((c) => c.command === 'GetParameter').map((c) => c.input)).toContainEqual({
      Name: onDemand.env[ENV.configParameter],
      WithDecryption: true,
    });

    // SES: one message (the retry found the receipt), to the payload's recipients, with the archived PDF.
    const emails = (await ses.emails()).slice(emailsBefore);
    expect(emails).toHaveLength(1);
    expectEmail(emails[0]!, output, produced.email!, RECIPIENTS, bundle('report.pdf'));

    // Powertools: JSON logs with the run id and period, EMF metrics; the retry archived nothing.
    const lines = jsonLines(output.stdout);
    expect(lines.find((l) => l.message === 'bundle archived')).toMatchObject({
      runId: 'req-first',
      period: `${from.replace('.000Z', '.000000000Z')}/${to.replace('.000Z', '.000000000Z')}`,
      service: onDemand.env.POWERTOOLS_SERVICE_NAME,
      level: 'INFO',
      cold_start: true,
    });
    const metrics = lines.filter((l) => '_aws' in l);
    expect(metrics.map((m) => m.BundlesArchived)).toEqual([1, 0]);
    const report = JSON.parse(bundle('report.json').toString('utf8')) as ReportV1;
    expect(metrics[0]).toMatchObject({
      EventsReplayed: report.streams.reduce((n, s) => n + s.messages, 0),
      ControlsFailed: report.controls.filter((c) => c.status === 'fail').length,
      IncidentsOpened: report.incidents.filter((i) => i.openedInPeriod).length,
    });
    expect(report.incidents.filter((i) => i.openedInPeriod).map((i) => i.rule)).toEqual(
      expect.arrayContaining(['message-deleted', 'stream-purged', 'audit-stream-attempt']),
    );
    // Each newly opened incident (all of them, on this fresh server) was announced once on the alert topic, the retry
    // announced none.
    expect(output.calls.filter((c) => c.command === 'Publish')).toHaveLength(report.incidents.length);
    for (const secret of [bed.hub.passwords.audit, bed.hub.passwords.app])
      expect(output.stdout + output.stderr).not.toContain(secret);
  }, 60_000);

  it('scheduled: reports the day before the schedule fired, in the configured time zone', async () => {
    const firedAt = DateTime.now().setZone(TIMEZONE).set({ hour: 6, minute: 0, second: 0, millisecond: 0 });
    const yesterday = firedAt.minus({ days: 1 }).toISODate()!;
    const event = { scheduledTime: firedAt.toUTC().toISO({ suppressMilliseconds: true })! };
    const emailsBefore = (await ses.emails()).length;
    const output = await runHarness(scheduled, [
      { payload: event, requestId: 'sched-first' },
      { payload: event, requestId: 'sched-retry' },
    ]);

    const [first, retry] = output.outcomes;
    const produced = expectProduced(first, 'daily');
    const [y, m, d] = yesterday.split('-');
    expect(produced.reportDir).toBe(`s3://${BUCKET}/${PREFIX}/daily/${y}/${m}/${d}`);
    expect(retry).toEqual({ result: { ...produced, existed: true, email: null } });

    const bundle = await expectVerifiedArchive(output, 'daily');
    const emails = (await ses.emails()).slice(emailsBefore);
    expect(emails).toHaveLength(1);
    expectEmail(emails[0]!, output, produced.email!, CONFIGURED_TO, bundle('report.pdf'));
    const metrics = jsonLines(output.stdout).filter((l) => '_aws' in l);
    expect(metrics.map((m) => [m.service, m.BundlesArchived])).toEqual([
      [scheduled.env.POWERTOOLS_SERVICE_NAME, 1],
      [scheduled.env.POWERTOOLS_SERVICE_NAME, 0],
    ]);
  }, 60_000);

  it('rollup: a rollup on demand of the day the scheduled function archived, verified, sealed and mailed', async () => {
    const key = await signing();
    const firedAt = DateTime.now().setZone(TIMEZONE).set({ hour: 6, minute: 0, second: 0, millisecond: 0 });
    const day = firedAt.minus({ days: 1 }).toISODate()!;
    const daily = await runHarness(
      scheduled,
      [{ payload: { scheduledTime: firedAt.toUTC().toISO({ suppressMilliseconds: true })! }, requestId: 'day' }],
      { signing: key },
    );
    expectProduced(daily.outcomes[0], 'daily');
    const emailsBefore = (await ses.emails()).length;
    // The rollup function's own bucket starts with what the daily run archived, signed by the same KMS key.
    const output = await runHarness(
      rollup,
      [
        { payload: { rollup: { from: day, to: day }, recipients: [RECIPIENTS[0]] }, requestId: 'rollup-first' },
        { payload: { rollup: { month: '2026-13' } }, requestId: 'rollup-bad' },
      ],
      { signing: key, objects: daily.objects },
    );
    const [first, bad] = output.outcomes;
    expect(first).toMatchObject({
      result: {
        ok: true,
        existed: false,
        email: expect.stringMatching(/^ses-/),
        reportDir: `s3://${BUCKET}/${PREFIX}/rollup/${day}_${day}`,
        period: { kind: 'rollup', days: { first: day, last: day } },
      },
    });
    expect(bad).toEqual({
      result: {
        ok: false,
        error: {
          code: 'bad-input',
          message: '"rollup.month": "2026-13" is not a month of the form YYYY-MM (for example 2026-11)',
        },
      },
    });
    // Written only where the rollup role may write: its bundle, its receipt and the key file (offered, found there).
    const written = [...new Set(output.calls.filter((c) => c.command === 'PutObject').map((c) => c.input.Key))];
    expect(written.filter((k) => !/^reports\/(rollup|receipts\/rollup|keys)\//.test(k as string))).toEqual([]);
    const report = JSON.parse(
      objectBytes(output.objects.find((o) => o.key === `${PREFIX}/rollup/${day}_${day}/report.json`)).toString('utf8'),
    ) as ReportV1;
    expect(report.rollup).toMatchObject({ first: day, last: day, verified: 1, failed: 0, missing: 0 });
    // The rollup's figures are the day's, re-performed from its evidence inside the bundle.
    const dayReport = JSON.parse(
      objectBytes(daily.objects.find((o) => o.key.endsWith('/report.json'))).toString('utf8'),
    ) as ReportV1;
    expect(report.streams.map((s) => [s.stream, s.messages])).toEqual(
      dayReport.streams.map((s) => [s.stream, s.messages]),
    );

    const local = await mkdtemp(path.join(work, 'archive-rollup-'));
    for (const object of output.objects) {
      const file = path.join(local, path.posix.relative(PREFIX, object.key));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, Buffer.from(object.base64, 'base64'));
    }
    const verified = await verifyArchive(localArchive(local), { recompute: true });
    expect(verified.entries.flatMap((e) => e.problems)).toEqual([]);
    expect([verified.ok, verified.summary.daysVerified, verified.summary.rollupVerified]).toEqual([true, 1, 1]);

    const emails = (await ses.emails()).slice(emailsBefore);
    expect(emails.map((e) => [e.destination.to.join(', '), e.subject])).toEqual([
      [RECIPIENTS[0], expect.stringContaining(`— rollup of ${day} (${TIMEZONE}) — Bundled Handler Test Inc.`)],
    ]);
    const pdf = objectBytes(output.objects.find((o) => o.key === `${PREFIX}/rollup/${day}_${day}/report.pdf`));
    expect(Buffer.compare(Buffer.from(emails[0]!.attachments[0]!.content, 'base64'), pdf)).toBe(0);
  }, 60_000);

  it('fan-out: plan, each slice, then the merge, each bundle in its own process, archived as one run', async () => {
    const started = Date.now() - 1_000;
    const ledger = await generateActivity(bed.hub, { transactions: 4 });
    const from = new Date(Math.floor(started / 1000) * 1000).toISOString();
    const to = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000).toISOString();
    while (Date.now() <= Date.parse(to)) await new Promise((r) => setTimeout(r, 100));
    const key = await signing();

    const planned = await runHarness(fanOut.plan, [{ payload: { from, to, slices: 2 }, requestId: 'plan' }], {
      signing: key,
    });
    const plan = (planned.outcomes[0] as { result: { runId: string; slices: unknown[]; existed: boolean } }).result;
    expect(plan.existed).toBe(false);
    expect(plan.slices.length).toBeGreaterThanOrEqual(bed.config.sources.flatMap((s) => s.streams).length);
    const sliced = await runHarness(
      fanOut.slice,
      plan.slices.map((slice, position) => ({
        payload: { runId: plan.runId, position, slice },
        requestId: `s${position}`,
      })),
      { signing: key, objects: planned.objects },
    );
    expect(sliced.outcomes.filter((o) => !('result' in o))).toEqual([]);
    // Each slice wrote its part and its evidence part to the staging bucket only.
    const staged = sliced.objects.filter((o) => o.bucket === STAGING).map((o) => o.key);
    expect(staged).toHaveLength(plan.slices.length * 2);
    expect(sliced.calls.filter((c) => c.command === 'PutObject' && c.input.Bucket !== STAGING)).toEqual([]);

    // The map hands the merge each slice function's result beside the plan, as the ReadSlice step selects it.
    const results = mapResults(sliced.outcomes.map((o) => (o as { result: unknown }).result));
    expect(results.map((r) => r.position)).toEqual(plan.slices.map((_, i) => i));
    const merged = await runHarness(fanOut.merge, [{ payload: { ...plan, results }, requestId: 'merge' }], {
      signing: key,
      objects: sliced.objects,
    });
    expect(merged.outcomes[0]).toMatchObject({
      result: { ok: true, existed: false, runId: plan.runId, stagingObjectsRemoved: plan.slices.length * 2 },
    });
    expect(merged.objects.filter((o) => o.bucket === STAGING)).toEqual([]);
    // The bundle rests on the merged slices, and verify re-performs every figure from its evidence.
    const bundle = await verifiedCopy(merged.objects, 'adhoc', { recompute: true });
    const report = JSON.parse(bundle('report.json').toString('utf8')) as ReportV1;
    expectReportOf(report, ledger);
    expect(report.inputs!.slices).toBe(2);
  }, 120_000);

  it('attest: the handler alone, without templates, fonts, pdfkit or ingest worker, loads and answers', async () => {
    expect(readdirSync(attest.taskDir)).toEqual(['index.mjs']);
    const output = await runHarness(attest, [
      { payload: functionUrlEvent({ iam: null, body: '{}' }), requestId: 'req-no-iam' },
      { payload: functionUrlEvent({ body: '{"date":"2026-11-24"}' }), requestId: 'req-no-decision' },
    ]);
    const answers = output.outcomes.map((o) => {
      const { statusCode, body } = (o as { result: { statusCode: number; body: string } }).result;
      return { statusCode, body: JSON.parse(body) as { error: { code: string; message: string } } };
    });
    expect(answers.map((a) => [a.statusCode, a.body.error.code])).toEqual([
      [403, 'forbidden'],
      [400, 'bad-input'],
    ]);
    expect(answers[0]!.body.error.message).toBe(
      'no IAM identity: call the function URL with a request signed by an IAM principal (SigV4)',
    );
  }, 60_000);

  it('fits Lambda and imports quickly in a fresh process (bundle size and cold import time are printed)', async () => {
    const [onDemandBytes, scheduledBytes] = await Promise.all([
      folderBytes(onDemand.taskDir),
      folderBytes(scheduled.taskDir),
    ]);
    const times: number[] = [];
    for (let i = 0; i < COLD_IMPORTS; i++) times.push(await coldImportMs(onDemand));
    const median = [...times].sort((a, b) => a - b)[Math.floor(COLD_IMPORTS / 2)]!;
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    console.info(
      `bundled handlers (unzipped): on-demand ${onDemandBytes} bytes (${mib(onDemandBytes)}), ` +
        `scheduled ${scheduledBytes} bytes (${mib(scheduledBytes)}); ` +
        `on-demand cold import median ${median.toFixed(0)} ms of ` +
        `${times.map((t) => t.toFixed(0)).join(', ')} ms (node ${process.version})`,
    );
    // Lambda's limit for an unzipped deployment package.
    for (const bytes of [onDemandBytes, scheduledBytes]) expect(bytes).toBeLessThan(250 * 1024 * 1024);
    expect(median).toBeLessThan(5_000);
  }, 60_000);
});

/** The KMS key the harness signs with and its certificate (in SSM): a new one per run unless one is handed in. */
interface Signing {
  keys: { privateKey: KeyObject; publicKey: KeyObject };
  certificatePem: string;
}

async function signing(): Promise<Signing> {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys, certificatePem: await selfSignedCertificate(keys, 'Bundled Handler Test Inc.', new Date()) };
}

interface HarnessRun extends HarnessOutput {
  stdout: string;
  stderr: string;
}

interface Produced {
  ok: true;
  reportDir: string;
  email: string | null;
  existed: boolean;
  period: { kind: string; date: string | null };
}

async function runHarness(
  fn: PreparedFunction,
  invocations: HarnessInput['invocations'],
  options: { signing?: Signing; objects?: StoredObject[] } = {},
): Promise<HarnessRun> {
  const { keys, certificatePem } = options.signing ?? (await signing());
  // As an operator would store it: no credentials in the document, they are in the secret.
  const document = {
    timezone: TIMEZONE,
    sources: bed.config.sources.map(({ nats, ...source }) => ({ ...source, nats: { servers: nats.servers } })),
    branding: { company: 'Bundled Handler Test Inc.' },
    // The on-demand run below sends to RECIPIENTS: the configuration must allow them.
    email: { from: FROM, to: CONFIGURED_TO, allowedRecipients: RECIPIENTS },
  };
  const secret = {
    audit: { user: 'audit', pass: bed.hub.passwords.audit },
    app: { user: 'app', pass: bed.hub.passwords.app },
  };
  const name = path.basename(fn.taskDir);
  const input: HarnessInput = {
    handlerFile: fn.handlerFile,
    exportName: fn.asset.handler.slice(fn.asset.handler.lastIndexOf('.') + 1),
    invocations,
    kms: { keyArn: KEY_ARN, privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    parameters: {
      [fn.env[ENV.configParameter]!]: JSON.stringify(document),
      [fn.env[ENV.certificateParameter]!]: certificatePem,
    },
    secrets: { [fn.env[ENV.natsSecretArn]!]: JSON.stringify(secret) },
    ...(options.objects ? { objects: options.objects } : {}),
    outFile: path.join(work, `${name}-output.json`),
  };
  const inputFile = path.join(work, `${name}-input.json`);
  await writeFile(inputFile, JSON.stringify(input), { mode: 0o600 });

  const harness = path.join(path.dirname(fn.taskDir), 'harness.mjs');
  const child = spawn(process.execPath, [harness, inputFile], {
    cwd: fn.taskDir,
    env: fn.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  if (code !== 0) throw new Error(`the harness exited with ${code}:\n${stderr}\n${stdout}`);
  return { ...(JSON.parse(await readFile(input.outFile, 'utf8')) as HarnessOutput), stdout, stderr };
}

function expectProduced(outcome: HarnessOutput['outcomes'][number] | undefined, kind: 'daily' | 'adhoc'): Produced {
  expect(outcome).toMatchObject({
    result: { ok: true, existed: false, email: expect.stringMatching(/^ses-/), period: { kind } },
  });
  return (outcome as { result: Produced }).result;
}

/**
 * Every object was written once, locked in COMPLIANCE mode with its checksum, and the archive as S3 holds it
 * passes verify. Returns a reader of the bundle's files.
 */
async function expectVerifiedArchive(
  output: HarnessOutput,
  kind: 'daily' | 'adhoc',
): Promise<(name: string) => Buffer> {
  const puts = output.calls.filter((c) => c.command === 'PutObject');
  // Every object is put once; the key file twice: the retry checks it before anything else, and S3's
  // If-None-Match answers that it is there (412), which leaves it as it is.
  const putsPerKey = new Map<string, number>();
  for (const put of puts) putsPerKey.set(put.input.Key as string, (putsPerKey.get(put.input.Key as string) ?? 0) + 1);
  expect([...putsPerKey.keys()].sort()).toEqual(output.objects.map((o) => o.key).sort());
  expect([...putsPerKey].filter(([, n]) => n !== 1)).toEqual([
    [output.objects.find((o) => o.key.includes('/keys/'))!.key, 2],
  ]);
  expect(puts.every((c) => c.input.IfNoneMatch === '*' && c.input.ChecksumAlgorithm === 'SHA256')).toBe(true);
  return verifiedCopy(output.objects, kind);
}

/**
 * The archive's objects, each locked for years, form one bundle of `kind` (signed intent, evidence, documents,
 * manifest and signature) that `verify` accepts (with `--recompute` when asked) from a local copy.
 */
async function verifiedCopy(
  objects: StoredObject[],
  kind: 'daily' | 'adhoc',
  options: { recompute?: boolean } = {},
): Promise<(name: string) => Buffer> {
  const bundleObjects = objects.filter((o) => o.key.startsWith(`${PREFIX}/${kind}/`));
  const names = bundleObjects.map((o) => path.posix.basename(o.key)).sort();
  expect(names.filter((n) => !n.startsWith('intent-'))).toEqual([
    'evidence.jsonl.gz',
    'manifest.json',
    'manifest.json.sig',
    'report.html',
    'report.json',
    'report.pdf',
  ]);
  // Exactly one run wrote this bundle: one signed intent, written first.
  expect(names.filter((n) => /^intent-[0-9A-Za-z-]+\.json$/.test(n))).toHaveLength(1);
  for (const object of objects) {
    expect(object).toMatchObject({ bucket: BUCKET, lockMode: 'COMPLIANCE', checksumSha256: expect.any(String) });
    expect(Date.parse(object.retainUntil!)).toBeGreaterThan(Date.now() + 6 * 365 * 86_400_000);
  }
  const local = await mkdtemp(path.join(work, `archive-${kind}-`));
  for (const object of objects) {
    const file = path.join(local, path.posix.relative(PREFIX, object.key));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(object.base64, 'base64'));
  }
  const verified = await verifyArchive(localArchive(local), { recompute: options.recompute ?? false });
  expect(verified.problems).toEqual([]);
  expect(verified.entries.flatMap((e) => e.problems)).toEqual([]);
  expect(verified.ok).toBe(true);
  expect(kind === 'daily' ? verified.summary.daysVerified : verified.summary.adhocVerified).toBe(1);
  return (name) => objectBytes(bundleObjects.find((o) => o.key.endsWith(`/${name}`)));
}

function expectEmail(
  email: EmulatedEmail,
  output: HarnessOutput,
  messageId: string,
  recipients: string[],
  archivedPdf: Buffer,
): void {
  expect(email.messageId).toBe(messageId);
  expect(email.from).toContain(FROM);
  expect(email.destination.to.flatMap((header) => header.split(/,\s*/))).toEqual(recipients);
  const receipt = JSON.parse(
    objectBytes(output.objects.find((o) => o.key.startsWith(`${PREFIX}/receipts/`))).toString('utf8'),
  ) as {
    subject: string;
    recipients: string[];
    location: string;
  };
  expect(receipt).toMatchObject({ recipients, location: messageId });
  expect(email.subject).toBe(receipt.subject);
  expect(email.attachments).toHaveLength(1);
  expect(email.attachments[0]!.contentType).toBe('application/pdf');
  expect(Buffer.compare(Buffer.from(email.attachments[0]!.content, 'base64'), archivedPdf)).toBe(0);
}

function objectBytes(object: StoredObject | undefined): Buffer {
  if (!object) throw new Error('the object is not in the archive');
  return Buffer.from(object.base64, 'base64');
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Milliseconds to import the bundle's entry in a new node process, as a Lambda cold start does (the SDK included). */
async function coldImportMs(fn: PreparedFunction): Promise<number> {
  const script =
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(fn.handlerFile).href)}); ` +
    'process.stdout.write(String(performance.now() - t)); process.exit(0);';
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fn.taskDir,
    env: fn.env,
  });
  return Number(stdout);
}

function expectReportOf(report: ReportV1, ledger: ActivityLedger): void {
  expect(report.period.kind).toBe('adhoc');
  expect(report.transactions.total).toBe(ledger.transactions.length - ledger.deletedTransactionSeqs.length);
  expect(report.authFailures.total).toBeGreaterThanOrEqual(ledger.failedLogins.length);
  expect(report.jetstreamChanges.map((c) => c.operation)).toEqual(
    expect.arrayContaining(['stream.create', 'stream.delete', 'msg.delete', 'stream.purge']),
  );
  expect(report.streams.map((s) => s.stream).sort()).toEqual([
    'APP_JS_ADVISORIES',
    'AUDIT_JS_ADVISORIES',
    'SYS_EVENTS',
    'TRANSACTIONS',
  ]);
}
