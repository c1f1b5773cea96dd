/**
 * The Step Functions fan-out's three handlers driven in the state machine's order against a real nats-server, with
 * the archive and the staging bucket an in-memory S3 (Object Lock on the archive's objects), KMS a mock holding a
 * real key and SES a mock: plan (sized from stream info: streams of different sizes get different slice counts),
 * every slice at once (as the distributed map runs them), then the merge. The bundle is the single run's (the
 * on-demand function over the same period): every figure and the evidence bytes; `verify --recompute` holds; the
 * run's staging objects are gone. The merge is given the plan and the slice functions' results (the map's, through
 * the state machine): a part replaced in staging by a coherent one (other messages, its own evidence part and
 * digest), a slice without a result, an altered evidence part and a missing part fail it, naming the object.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { s3Archive } from '../../functions/archive/s3.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { adhocPeriod } from '../../functions/config/period.js';
import type { AwsClients } from '../../functions/handlers/aws-clients.js';
import { ENV } from '../../functions/handlers/environment.js';
import { createFanOutMergeHandler } from '../../functions/handlers/fan-out-merge.js';
import { sliceLabel, type FanOutPlan, type SliceResult } from '../../functions/handlers/fan-out-payload.js';
import { createFanOutPlanHandler } from '../../functions/handlers/fan-out-plan.js';
import { createFanOutSliceHandler } from '../../functions/handlers/fan-out-slice.js';
import { createOnDemandHandler } from '../../functions/handlers/on-demand.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { decodeSlicePart, digestOf, encodeSlicePart } from '../../functions/slices/codec.js';
import { planSized } from '../../functions/slices/sizing.js';
import { deployedOnBed } from '../support/deployed-on-bed.js';
import { mapResults } from '../support/fan-out-map.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { captureOutput, handlerDeps, lambdaContext, type MockedClients } from '../support/lambda-fakes.js';
import type { FakeBucket } from '../support/s3-fake.js';

const STAGING = 's3://sox-staging/runs';
/** Ten messages a slice: the demo's burst gives its busiest stream several slices, the quiet ones one. */
const SIZING = { [ENV.sliceMessagesPerSecond]: '1', [ENV.sliceBudgetSeconds]: '10' };
const SECONDS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const json = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString('utf8')) as ReportV1;

/** A report without what is the run's own: its clock, and the incident record and access answers as it found them. */
function comparable(r: ReportV1) {
  const { inputs, incidents: _i, access: _a, ...rest } = r as ReportV1 & { access?: unknown };
  const { slices: _s, incidents: _ii, access: _ia, ...recorded } = inputs!;
  return JSON.parse(JSON.stringify({ ...rest, inputs: recorded }).replaceAll(r.generatedAt, '(generatedAt)'));
}

describe.each(NATS_VERSIONS)('the fan-out: plan, slices, merge against nats-server %s', (version) => {
  let bed: TestBed;
  let bucket: FakeBucket;
  let aws: MockedClients;
  let clients: AwsClients;
  let env: Record<string, string>;
  let output: ReturnType<typeof captureOutput>;
  let from: string;
  let to: string;
  let now: number;
  let single: { report: ReportV1; evidence: Uint8Array };
  let plan: FanOutPlan;
  let results: SliceResult[];
  let merged: Awaited<ReturnType<ReturnType<typeof createFanOutMergeHandler>>>;
  let stagingWrites: { Bucket: string; Key: string }[];

  beforeAll(async () => {
    bed = await startTestBed(version);
    // The period starts on a whole second; activity in its first, third and fifth seconds.
    const start = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const at = (ms: number) => sleep(start + ms - Date.now());
    await at(200);
    await generateActivity(bed.hub, { transactions: 4 });
    const app = await connect({ servers: bed.hub.url, name: 'payments-svc', user: 'app', pass: bed.hub.passwords.app });
    const js = jetstream(app);
    await at(2_300);
    const deleted = (await js.publish('tx.created', JSON.stringify({ id: 'x' }))).seq;
    await js.publish('tx.created', JSON.stringify({ id: 'y' }));
    await (await jetstreamManager(app)).streams.deleteMessage('TRANSACTIONS', deleted);
    for (let i = 0; i < 3; i++)
      await connect({ servers: bed.hub.url, name: 'bad-login', user: 'mallory', pass: 'guess', reconnect: false })
        .then((nc) => nc.close())
        .catch((err) => {
          if (!(err instanceof AuthorizationError)) throw err;
        });
    await at(4_400);
    await js.publish('tx.created', JSON.stringify({ id: 'z' }));
    await app.close();
    await at(SECONDS * 1000 + 200);
    from = new Date(start).toISOString();
    to = new Date(start + SECONDS * 1000).toISOString();
    now = start + SECONDS * 1000 + 500;

    const deployed = deployedOnBed(bed, {
      archive: 's3://sox-evidence/reports',
      email: { from: 'reports@example.com', to: ['cfo@example.com'] },
      signerName: 'sox fan-out test',
    });
    ({ aws, bucket, clients } = deployed);
    env = { ...deployed.env, [ENV.sliceStaging]: STAGING, ...SIZING };

    output = captureOutput();
    try {
      // The single run first, into an archive of its own: what the fan-out must equal.
      const onDemand = createOnDemandHandler(
        handlerDeps({ ...env, [ENV.archive]: 's3://sox-evidence/single' }, clients, now),
      );
      const one = await onDemand({ from, to }, lambdaContext('req-single'));
      expect(one).toMatchObject({ ok: true, existed: false, email: 'ses-1' });
      const dir = (one as { reportDir: string }).reportDir.replace('s3://sox-evidence/', '');
      single = {
        report: json(bucket.bytes(`${dir}/report.json`)),
        evidence: bucket.bytes(`${dir}/evidence.jsonl.gz`)!,
      };

      bucket.mock.resetHistory();
      plan = await createFanOutPlanHandler(handlerDeps(env, clients, now))({ from, to }, lambdaContext('req-plan'));
      // The distributed map: every slice at once, each its own invocation with the item the ItemSelector builds.
      const slice = createFanOutSliceHandler(handlerDeps(env, clients, now));
      results = mapResults(
        await Promise.all(
          plan.slices.map((s, position) =>
            slice({ runId: plan.runId, position, slice: s }, lambdaContext(`req-slice-${position}`)),
          ),
        ),
      );
      stagingWrites = bucket.mock
        .commandCalls(PutObjectCommand)
        .map((c) => ({ Bucket: c.args[0].input.Bucket!, Key: c.args[0].input.Key! }))
        .filter((w) => w.Bucket === 'sox-staging');
      merged = await createFanOutMergeHandler(handlerDeps(env, clients, now))(
        { ...plan, results },
        lambdaContext('req-merge'),
      );
    } finally {
      output.restore();
    }
  }, 120_000);

  afterAll(async () => {
    bucket?.restore();
    aws?.restore();
    await bed?.close();
  });
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());

  it('plans each stream by its size: the busy ones in several slices, a quiet one in one', () => {
    const period = adhocPeriod(from, to, 'UTC');
    expect(plan.existed).toBe(false);
    expect(plan.request).toEqual({ from: plan.slices[0]!.from, to: plan.slices.at(-1)!.to });
    expect(plan.streams.map((s) => `${s.source}/${s.stream}`)).toEqual(
      single.report.streams.map((s) => `${s.source}/${s.stream}`),
    );
    for (const [i, s] of plan.streams.entries()) {
      const read = single.report.streams[i]!;
      // An upper bound of what the period holds: every sequence from its first message to the first after it.
      const span = read.firstSeq === null ? 0 : read.lastSeq! - read.firstSeq + 1;
      expect(s.messages, s.stream).toBeGreaterThanOrEqual(span);
      expect(s.slices, s.stream).toBe(Math.min(SECONDS, Math.max(1, Math.ceil(s.messages / 10))));
    }
    expect(Math.max(...plan.streams.map((s) => s.slices))).toBeGreaterThan(1);
    expect(Math.min(...plan.streams.map((s) => s.slices))).toBe(1);
    expect(plan.slices).toEqual(planSized(plan.streams, period, { messagesPerSecond: 1, budgetSeconds: 10 }).plan);
  });

  it('has each slice leave its evidence part and its part under the run prefix of the staging bucket', () => {
    const prefix = `runs/${plan.runId}/`;
    const base = (i: number) => `${prefix}slice-${i}/req-slice-${i}`;
    expect(stagingWrites.map((w) => w.Key).sort()).toEqual(
      plan.slices.flatMap((_, i) => [`${base(i)}.evidence.gz`, `${base(i)}.json`]).sort(),
    );
    // And return, for the merge, its position, its try (the request id: its keys) and the digests of exactly the
    // bytes it wrote.
    expect(results.map((r) => [r.position, r.attempt])).toEqual(plan.slices.map((_, i) => [i, `req-slice-${i}`]));
    const written = (key: string) => {
      const put = bucket.mock.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key);
      return digestOf(Buffer.from(put!.args[0].input.Body as Uint8Array));
    };
    for (const r of results) {
      expect(r.part).toEqual(written(`${base(r.position)}.json`));
      expect(r.evidence).toEqual(written(`${base(r.position)}.evidence.gz`));
    }
    // Nothing of a run stays once its bundle is archived.
    expect(merged.stagingObjectsRemoved).toBe(2 * plan.slices.length);
    expect(bucket.keys().filter((k) => k.startsWith('runs/'))).toEqual([]);
  });

  it('merges into the single run’s bundle: every figure, and the evidence byte for byte', () => {
    expect(merged).toMatchObject({ ok: true, existed: false, email: 'ses-2', runId: plan.runId });
    const dir = merged.reportDir.replace('s3://sox-evidence/', '');
    const report = json(bucket.bytes(`${dir}/report.json`));
    const evidence = bucket.bytes(`${dir}/evidence.jsonl.gz`)!;
    expect(single.report.authFailures.total).toBeGreaterThanOrEqual(3);
    expect(single.report.streams.some((s) => s.missing > 0)).toBe(true);
    expect(report.inputs?.slices).toBe(Math.max(...plan.streams.map((s) => s.slices)));
    expect(report.streams).toEqual(single.report.streams);
    expect(report.controls).toEqual(single.report.controls);
    expect(comparable(report)).toEqual(comparable(single.report));
    expect(evidence.length).toBeGreaterThan(1000);
    expect(Buffer.compare(Buffer.from(evidence), Buffer.from(single.evidence))).toBe(0);
  });

  it('seals a bundle verify --recompute accepts', async () => {
    const verified = await verifyArchive(
      s3Archive({ client: bucket.client, bucket: 'sox-evidence', prefix: 'reports' }),
      {
        recompute: true,
      },
    );
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => [e.bundle, e.ok])).toEqual([[merged.reportDir.split('/reports/')[1], true]]);
  });

  it('plans no slice for a period already archived, and its merge sends nothing again', async () => {
    const deps = handlerDeps(env, clients, now);
    const again = await createFanOutPlanHandler(deps)({ from, to }, lambdaContext('req-plan-again'));
    expect(again).toEqual({
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      request: plan.request,
      existed: true,
      slices: [],
      streams: [],
    });
    aws.mocks.ses.resetHistory();
    const result = await createFanOutMergeHandler(deps)({ ...again, results: [] }, lambdaContext('req-merge-again'));
    expect(result).toMatchObject({ ok: true, existed: true, email: null, stagingObjectsRemoved: 0 });
    expect(result.reportDir).toBe(merged.reportDir);
    expect(aws.mocks.ses.calls()).toHaveLength(0);
  });

  it('refuses a replaced part, a slice without a result, an altered or a missing part; seals nothing', async () => {
    // Another period (a second shorter), so another bundle: planned and read, then tampered with in staging.
    const later = new Date(Date.parse(from) + 1000).toISOString();
    const deps = handlerDeps(env, clients, now);
    const second = await createFanOutPlanHandler(deps)({ from: later, to, slices: 2 }, lambdaContext('req-plan-2'));
    // "slices": 2 in the input: every stream in two, whatever its size.
    expect(second.streams.map((st) => st.slices)).toEqual(plan.streams.map(() => 2));
    expect(second.slices).toHaveLength(2 * plan.streams.length);
    const slice = createFanOutSliceHandler(deps);
    const returned = mapResults(
      await Promise.all(
        second.slices.map((s, position) => slice({ runId: second.runId, position, slice: s }, lambdaContext('req-s'))),
      ),
    );
    const merge = createFanOutMergeHandler(deps);
    const staged = (position: number) => ({
      part: `runs/${second.runId}/slice-${position}/req-s.json`,
      evidence: `runs/${second.runId}/slice-${position}/req-s.evidence.gz`,
    });
    const folder = (position: number) => `runs/${second.runId}/slice-${position}/`;
    const put = (key: string, bytes: Uint8Array) =>
      bucket.versions.set(key, [
        { id: 'planted', bytes, lockMode: undefined, retainUntil: undefined, checksum: undefined },
      ]);
    const original = { part: bucket.bytes(staged(0).part)!, evidence: bucket.bytes(staged(0).evidence)! };

    // What anyone who may write the staging bucket can do: read the first slice's stream over another window (the
    // activity burst, before this period), label it the planned slice, and put it and its own evidence part in place.
    const other = randomUUID();
    await slice(
      { runId: other, position: 0, slice: { ...second.slices[0]!, from, to: later } },
      lambdaContext('req-other'),
    );
    const forgedBytes = bucket.bytes(`runs/${other}/slice-0/req-other.json`)!;
    const forged = decodeSlicePart(Buffer.from(forgedBytes).toString('utf8'), 'f');
    const planted = { ...forged, slice: second.slices[0]! };
    const plantedEvidence = bucket.bytes(`runs/${other}/slice-0/req-other.evidence.gz`)!;
    const plantedPart = Buffer.from(encodeSlicePart(planted), 'utf8');
    // Coherent: the planned slice, other messages, and the digest of its own evidence part.
    expect(planted.stream.messages).not.toBe(
      decodeSlicePart(Buffer.from(original.part).toString('utf8'), 'o').stream.messages,
    );
    expect(planted.evidence).toEqual(digestOf(plantedEvidence));
    put(staged(0).part, plantedPart);
    put(staged(0).evidence, plantedEvidence);
    expect(plantedPart.length).not.toBe(original.part.length);
    await expect(merge({ ...second, results: returned }, lambdaContext('req-merge-replaced'))).rejects.toThrow(
      `s3://sox-staging/${staged(0).part} (${sliceLabel(second.slices[0]!)}): ${plantedPart.length} bytes, but its ` +
        `slice function returned ${original.part.length} bytes with SHA-256 ${returned[0]!.part.sha256}: the part ` +
        "was replaced or is not this run's",
    );
    put(staged(0).evidence, original.evidence);
    // The same size, other bytes: found by its SHA-256.
    const sameSize = new Uint8Array(original.part);
    sameSize[sameSize.indexOf(0x3a)] = 0x20; // a key's colon made a space: still the part's length
    put(staged(0).part, sameSize);
    await expect(merge({ ...second, results: returned }, lambdaContext('req-merge-same-size'))).rejects.toThrow(
      `s3://sox-staging/${staged(0).part} (${sliceLabel(second.slices[0]!)}): ${sameSize.length} bytes with ` +
        `SHA-256 ${digestOf(sameSize).sha256}, but its slice function returned ${original.part.length} bytes ` +
        `with SHA-256 ${returned[0]!.part.sha256}: the part was replaced or is not this run's`,
    );
    put(staged(0).part, original.part);

    // The state machine's word is needed for every slice, and only for slices of the plan.
    await expect(
      merge({ ...second, results: returned.filter((r) => r.position !== 1) }, lambdaContext('req-merge-unreturned')),
    ).rejects.toThrow(
      `s3://sox-staging/${folder(1)} (${sliceLabel(second.slices[1]!)}): no result from its slice function, ` +
        'so nothing says which bytes it wrote: the merge takes no part on the staging bucket’s word',
    );
    const beyond = second.slices.length;
    await expect(
      merge({ ...second, results: [...returned, { ...returned[0]!, position: beyond }] }, lambdaContext('req-x')),
    ).rejects.toThrow(
      `s3://sox-staging/${folder(beyond)}: a result for position ${beyond}, but the plan has ${beyond} slices`,
    );

    const otherEvidence = { ...returned[0]!, evidence: digestOf(plantedEvidence) };
    await expect(
      merge({ ...second, results: [otherEvidence, ...returned.slice(1)] }, lambdaContext('req-merge-evidence')),
    ).rejects.toThrow(
      `s3://sox-staging/${staged(0).part} (${sliceLabel(second.slices[0]!)}): records another evidence part than ` +
        'its slice function returned',
    );

    const altered = new Uint8Array(original.evidence);
    altered[altered.length - 1] = original.evidence.at(-1)! ^ 1;
    put(staged(0).evidence, altered);
    await expect(merge({ ...second, results: returned }, lambdaContext('req-merge-2'))).rejects.toThrow(
      new RegExp(
        `s3://sox-staging/${staged(0).evidence.replaceAll('.', '\\.')}: ${altered.length} bytes with SHA-256 ` +
          `[0-9a-f]{64}, but its slice's part records ${original.evidence.length} bytes with SHA-256 [0-9a-f]{64}: ` +
          "the evidence part was altered or is not this run's",
      ),
    );
    put(staged(0).evidence, original.evidence);
    await bucket.client.send(new DeleteObjectCommand({ Bucket: 'sox-staging', Key: staged(1).part }));
    await expect(merge({ ...second, results: returned }, lambdaContext('req-merge-3'))).rejects.toThrow(
      `s3://sox-staging/${staged(1).part}: the slice's part is missing (did its slice run?)`,
    );
    const bundle = `reports/adhoc/`;
    const sealed = bucket.keys().filter((k) => k.startsWith(bundle) && k.endsWith('manifest.json'));
    expect(sealed).toEqual([`${merged.reportDir.replace('s3://sox-evidence/', '')}/manifest.json`]);
  }, 90_000);

  it('merges the try that returned: a first try still running when its slice is retried writes beside it', async () => {
    // Another period (two seconds shorter), so another bundle.
    const later = new Date(Date.parse(from) + 2000).toISOString();
    const deps = handlerDeps(env, clients, now);
    const third = await createFanOutPlanHandler(deps)({ from: later, to }, lambdaContext('req-plan-3'));
    const slice = createFanOutSliceHandler(deps);
    // The retries return (the state machine keeps these results)...
    const returned = mapResults(
      await Promise.all(
        third.slices.map((s, position) => slice({ runId: third.runId, position, slice: s }, lambdaContext('req-r'))),
      ),
    );
    // ...and then the first try of slice 0, whose answer Step Functions lost, finishes: it read the stream when it
    // held other messages (here: over the activity burst) and writes what it read.
    const late = await slice(
      { runId: third.runId, position: 0, slice: { ...third.slices[0]!, from, to: later } },
      lambdaContext('req-first'),
    );
    expect(late.part).not.toEqual(returned[0]!.part);
    expect(bucket.keys().filter((k) => k.startsWith(`runs/${third.runId}/slice-0/`))).toEqual([
      `runs/${third.runId}/slice-0/req-first.evidence.gz`,
      `runs/${third.runId}/slice-0/req-first.json`,
      `runs/${third.runId}/slice-0/req-r.evidence.gz`,
      `runs/${third.runId}/slice-0/req-r.json`,
    ]);
    const done = await createFanOutMergeHandler(deps)({ ...third, results: returned }, lambdaContext('req-merge-r'));
    expect(done).toMatchObject({ ok: true, existed: false, stagingObjectsRemoved: 2 * third.slices.length + 2 });
    expect(bucket.keys().filter((k) => k.startsWith(`runs/${third.runId}/`))).toEqual([]);
    const verified = await verifyArchive(
      s3Archive({ client: bucket.client, bucket: 'sox-evidence', prefix: 'reports' }),
      { recompute: true },
    );
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => e.ok)).toEqual([true, true]);
  }, 90_000);
});
