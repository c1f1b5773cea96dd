import { SignCommand } from '@aws-sdk/client-kms';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { jetstreamManager } from '@nats-io/jetstream';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { receiptPath } from '../../functions/archive/layout.js';
import { s3Archive } from '../../functions/archive/s3.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { ensureAttestationStream } from '../../functions/attest/stream.js';
import type { AwsClients } from '../../functions/handlers/aws-clients.js';
import { createAttestHandler } from '../../functions/handlers/attest.js';
import { createOnDemandHandler } from '../../functions/handlers/on-demand.js';
import { createRollupHandler } from '../../functions/handlers/rollup.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { connectSource } from '../../functions/source/connect.js';
import { deployedOnBed } from '../support/deployed-on-bed.js';
import { functionUrlEvent, REVIEWER } from '../support/function-url.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';
import { KMS_KEY_ARN } from '../support/kms-mock.js';
import {
  captureOutput,
  NATS_SECRET_ARN,
  CERT_PARAMETER,
  handlerDeps,
  lambdaContext,
  type MockedClients,
} from '../support/lambda-fakes.js';
import type { FakeBucket } from '../support/s3-fake.js';

/**
 * The rollup function as deployed, but for AWS: real daily bundles made by the on-demand function for three days of
 * October 2026 on an in-memory S3 bucket with Object Lock, signed through a KMS mock holding a real key, a sign-off
 * recorded through the attest function in a real nats-server's attestation stream; then a rollup on demand and the
 * monthly schedule's, with a day tampered, each verified and emailed (the SES request asserted exactly).
 */
const ARCHIVE = 's3://sox-evidence/reports';
const DAYS = ['2026-10-29', '2026-10-30', '2026-10-31'];
/** The dailies are run the day after the last, the rollups after the monthly schedule fired (06:00 in New York). */
const DAILIES_AT = Date.parse('2026-11-01T12:00:00Z');
const FIRED = '2026-11-02T11:00:00Z';
const ROLLUP_AT = Date.parse('2026-11-02T11:00:04Z');

const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes)) as ReportV1;

describe.each(NATS_VERSIONS)('the rollup function over daily bundles on S3, nats-server %s', (version) => {
  let bed: TestBed;
  let bucket: FakeBucket;
  let aws: MockedClients;
  let output: ReturnType<typeof captureOutput>;
  let clients: AwsClients;
  let env: Record<string, string>;
  let sent: SendEmailCommandInput[];
  let dailyManifests: string[];

  beforeAll(async () => {
    bed = await startTestBed(version);
    await addTransactionsStream(bed);
    const nc = await connectSource(bed.config.sources[0]!.name, bed.config.sources[0]!.nats);
    await ensureAttestationStream(await jetstreamManager(nc), bed.config);
    await nc.close();
    // As the stack deploys it: no password in the configuration (they are in the NATS secret), signed with KMS.
    ({ aws, bucket, clients, env, sent } = deployedOnBed(bed, {
      archive: ARCHIVE,
      email: { from: 'reports@example.com', to: ['cfo@example.com'], allowedRecipients: ['@example.com'] },
      signerName: 'sox rollup test',
    }));
    output = captureOutput();
    try {
      // One run a minute apart: the chain links each day to the one sealed before it (verify compares the times).
      for (const [i, date] of DAYS.entries()) {
        const onDemand = createOnDemandHandler(handlerDeps(env, clients, DAILIES_AT + i * 60_000));
        const made = await onDemand({ date, recipients: ['cfo@example.com'] }, lambdaContext(`req-daily-${date}`));
        expect(made).toMatchObject({ ok: true, existed: false });
      }
      // A reviewer signs the first day off through the attest function: the rollup reads it from NATS.
      const attest = createAttestHandler(handlerDeps(env, clients, DAILIES_AT));
      const signed = await attest(
        functionUrlEvent({ body: JSON.stringify({ date: DAYS[0], decision: 'approved' }) }),
        lambdaContext('req-attest'),
      );
      expect(signed.statusCode).toBe(200);
    } finally {
      output.restore();
    }
    dailyManifests = DAYS.map((d) =>
      Buffer.from(bucket.bytes(`reports/daily/${d.replaceAll('-', '/')}/manifest.json`)!).toString('utf8'),
    );
  }, 180_000);

  afterAll(async () => {
    bucket?.restore();
    aws?.restore();
    await bed?.close();
  });

  beforeEach(() => {
    output = captureOutput();
    sent.length = 0; // the array the SES mock fills: emptied, not replaced
    aws.mocks.kms.resetHistory();
    aws.mocks.ssm.resetHistory();
    aws.mocks.secrets.resetHistory();
    aws.mocks.ses.resetHistory();
    aws.mocks.sns.resetHistory();
    bucket.mock.resetHistory();
  });
  afterEach(() => {
    output.restore();
  });

  const rollupHandler = () => createRollupHandler(handlerDeps(env, clients, ROLLUP_AT));
  const putKeys = () => bucket.mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key!);

  it('builds a rollup on demand from the verified dailies with their sign-offs, mailed to recipients', async () => {
    const result = await rollupHandler()(
      { rollup: { from: DAYS[0], to: DAYS[2] }, recipients: ['auditor@example.com'] },
      lambdaContext('req-rollup-1'),
    );
    const dir = `${ARCHIVE}/rollup/2026-10-29_2026-10-31`;
    expect(result).toEqual({
      ok: true,
      period: {
        from: '2026-10-29T04:00:00.000000000Z',
        to: '2026-11-01T04:00:00.000000000Z',
        timezone: 'America/New_York',
        kind: 'rollup',
        date: null,
        days: { first: '2026-10-29', last: '2026-10-31' },
      },
      reportDir: dir,
      reportJson: `${dir}/report.json`,
      reportPdf: `${dir}/report.pdf`,
      reportHtml: `${dir}/report.html`,
      manifest: `${dir}/manifest.json`,
      existed: false,
      email: 'ses-1',
    });
    const report = decode(bucket.bytes('reports/rollup/2026-10-29_2026-10-31/report.json'));
    expect(report.rollup).toMatchObject({ first: DAYS[0], last: DAYS[2], verified: 3, failed: 0, missing: 0 });
    expect(report.rollup!.days.map((d) => [d.date, d.status])).toEqual(DAYS.map((d) => [d, 'verified']));
    expect(report.rollup!.reviews!.recordError).toBeNull();
    expect(report.rollup!.reviews!.bundles.map((b) => [b.date, b.attestations.map((a) => [a.by, a.decision])])).toEqual(
      [
        [DAYS[0], [[REVIEWER, 'approved']]],
        [DAYS[1], []],
        [DAYS[2], []],
      ],
    );

    // Written only under rollup/, its receipt and the key file (what the rollup role may write), in seal order.
    const run = /^reports\/rollup\/2026-10-29_2026-10-31\/intent-[0-9A-Za-z-]+\.json$/;
    const keys = putKeys();
    expect(keys[0]).toMatch(/^reports\/keys\/[0-9a-f]{64}-[0-9a-f]{64}\.pem$/);
    expect(keys[1]).toMatch(run);
    expect(keys.slice(2)).toEqual([
      'reports/rollup/2026-10-29_2026-10-31/report.json',
      'reports/rollup/2026-10-29_2026-10-31/report.html',
      'reports/rollup/2026-10-29_2026-10-31/report.pdf',
      'reports/rollup/2026-10-29_2026-10-31/manifest.json.sig',
      'reports/rollup/2026-10-29_2026-10-31/manifest.json',
      `reports/${receiptPath('rollup/2026-10-29_2026-10-31', ['auditor@example.com'])}`,
    ]);
    expect(bucket.mock.commandCalls(PutObjectCommand).at(-2)!.args[0].input).toMatchObject({
      Bucket: 'sox-evidence',
      Key: 'reports/rollup/2026-10-29_2026-10-31/manifest.json',
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date('2033-11-01T04:00:00.000Z'),
      ContentType: 'application/json',
    });
    // Signed by KMS with the digest only; the certificate read once; no alert topic, no integration secret.
    // Three signatures: the intent, the PDF's own and the manifest's.
    expect(aws.mocks.kms.commandCalls(SignCommand)).toHaveLength(3);
    for (const call of aws.mocks.kms.commandCalls(SignCommand)) {
      expect(call.args[0].input).toMatchObject({
        KeyId: KMS_KEY_ARN,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      });
    }
    expect(aws.mocks.ssm.calls().map((c) => c.args[0].input)).toEqual([{ Name: CERT_PARAMETER, WithDecryption: true }]);
    expect(aws.mocks.secrets.calls().map((c) => c.args[0].input)).toEqual([{ SecretId: NATS_SECRET_ARN }]);
    expect(aws.mocks.sns.calls()).toEqual([]);

    expect(sent).toHaveLength(1);
    const { Content, ...request } = sent[0]!;
    expect(request).toEqual({
      FromEmailAddress: 'reports@example.com',
      Destination: { ToAddresses: ['auditor@example.com'] },
      EmailTags: [
        { Name: 'report', Value: 'rollup' },
        { Name: 'trigger', Value: 'on-demand-rollup' },
      ],
    });
    const email = await simpleParser(Buffer.from(Content!.Raw!.Data!));
    expect(email.subject).toBe(
      '[FAIL] NATS SOX control report — rollup of 2026-10-29 to 2026-10-31 (America/New_York) — Demo Payments Inc.',
    );
    expect(email.text).toContain(
      'This is a rollup of 2026-10-29 to 2026-10-31, built from the sealed daily bundles of its 3 days:\n' +
        '3 verified, 0 failed verification, 0 missing. Only verified days are counted.\n\n' +
        'DAYS MISSING OR FAILING VERIFICATION\n  None: every day rests on a verified daily bundle.\n',
    );
    expect(
      email.attachments.map((a) => [
        a.filename,
        a.content.equals(Buffer.from(bucket.bytes(`reports/rollup/2026-10-29_2026-10-31/report.pdf`)!)),
      ]),
    ).toEqual([['report.pdf', true]]);

    // verify accepts the archive the Lambdas wrote, the rollup resting on the three dailies as archived.
    const verified = await verifyArchive(
      s3Archive({ client: bucket.client, bucket: 'sox-evidence', prefix: 'reports' }),
      {
        recompute: true,
      },
    );
    expect(verified.problems).toEqual([]);
    expect(verified.entries.filter((e) => !e.ok)).toEqual([]);
    expect(verified.entries.find((e) => e.kind === 'rollup')).toMatchObject({
      bundle: 'rollup/2026-10-29_2026-10-31',
      ok: true,
      notes: ['rests on 3 daily manifests, each the one archived'],
    });
  }, 120_000);

  it('the monthly schedule rolls up the month that ended before it fired: days missing and a tampered day named, ' +
    'emailed to the officers once', async () => {
    // Someone allowed to write plants a second version of one day's report.json.
    const tampered = decode(bucket.bytes('reports/daily/2026/10/30/report.json'));
    tampered.transactions.total += 7;
    bucket.plant('reports/daily/2026/10/30/report.json', new TextEncoder().encode(JSON.stringify(tampered)));

    const event = { schedule: 'monthly', scheduledTime: FIRED };
    const result = await rollupHandler()(event, lambdaContext('req-rollup-2'));
    expect(result).toMatchObject({
      ok: true,
      period: { kind: 'rollup', days: { first: '2026-10-01', last: '2026-10-31' } },
      reportDir: `${ARCHIVE}/rollup/2026-10-01_2026-10-31`,
      existed: false,
      email: 'ses-1',
    });
    const report = decode(bucket.bytes('reports/rollup/2026-10-01_2026-10-31/report.json'));
    expect(report.rollup).toMatchObject({ verified: 2, failed: 1, missing: 28 });
    const failed = report.rollup!.days.find((d) => d.date === '2026-10-30')!;
    expect(failed.status).toBe('failed');
    expect(failed.problems.join('; ')).toContain('report.json');
    expect(report.controls[0]).toMatchObject({ id: 'rollup-coverage', status: 'fail' });
    // The daily manifests the rollup rests on are the ones the on-demand function sealed.
    expect(bucket.bytes('reports/daily/2026/10/31/manifest.json')).toEqual(new TextEncoder().encode(dailyManifests[2]));

    expect(sent.slice(-1).map(({ Content: _c, ...r }) => r)).toEqual([
      {
        FromEmailAddress: 'reports@example.com',
        Destination: { ToAddresses: ['cfo@example.com'] },
        EmailTags: [
          { Name: 'report', Value: 'rollup' },
          { Name: 'trigger', Value: 'scheduled-rollup' },
        ],
      },
    ]);
    const email = await simpleParser(Buffer.from(sent.at(-1)!.Content!.Raw!.Data!));
    expect(email.subject).toBe(
      '[FAIL] NATS SOX control report — rollup of October 2026, 2026-10-01 to 2026-10-31 (America/New_York) — ' +
        'Demo Payments Inc.',
    );
    expect(email.text).toContain(
      'This is a rollup of October 2026, 2026-10-01 to 2026-10-31, built from the sealed daily bundles of its ' +
        '31 days:\n2 verified, 1 failed verification, 28 missing. Only verified days are counted.\n\n' +
        'DAYS MISSING OR FAILING VERIFICATION\n' +
        '  [missing] 2026-10-01 to 2026-10-28: no daily bundle for the day\n' +
        `  [failed] 2026-10-30: ${failed.problems.join('; ')}\n\n`,
    );
    expect(email.text).toContain('sox-report attest --rollup 2026-10-01_2026-10-31 --by "<your name>"');

    // A retry of the same event (Lambda's, or Scheduler's hours later) finds the rollup and its receipt: nothing
    // is rebuilt or sent again.
    const written = putKeys();
    expect(written.filter((k) => !/^reports\/(rollup\/2026-10-01_2026-10-31|keys|receipts\/rollup)\//.test(k))).toEqual(
      [],
    );
    expect(written.at(-1)).toBe(`reports/${receiptPath('rollup/2026-10-01_2026-10-31', ['cfo@example.com'])}`);
    bucket.mock.resetHistory();
    const again = await rollupHandler()(event, lambdaContext('req-rollup-3'));
    expect(again).toMatchObject({ ok: true, existed: true, email: null });
    expect(sent).toHaveLength(1);
    // Only the key file is offered again (S3 refuses it: it exists with these bytes); nothing else is written.
    expect(putKeys()).toEqual([written[0]]);
  }, 120_000);
});
