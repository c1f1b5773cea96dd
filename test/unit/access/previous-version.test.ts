/**
 * Reports archived before access rules 2 (test/fixtures/access/previous-version/: report.json, its evidence file and
 * its manifest's parameters, as that version wrote them) still pass `verify --recompute`: their parameters record no
 * `access.rules`, so their access section is derived again with rules 1. The same report claimed for rules 2 fails,
 * naming what rules 2 adds: the test can fail. The fixture was derived by commit 6a3602d's code from the operator-mode
 * 2.10.27 answers, the reporting user given `$JS.API.*` and `$JS.API.*.>` besides the read-only list, the previous
 * day's APP account with a revocation since lifted and other JetStream limits, expiry and issuer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReportParameters } from '../../../functions/analysis/parameters.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import type { ArchivePort } from '../../../functions/archive/port.js';
import { recomputeBundle } from '../../../functions/archive/verify-recompute.js';
import type { Manifest } from '../../../functions/seal/manifest.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/access/previous-version');
const BUNDLE = 'daily/2026/12/03';
const reportBytes = new Uint8Array(readFileSync(path.join(DIR, 'report.json')));
const evidence = new Uint8Array(readFileSync(path.join(DIR, 'evidence.jsonl.gz')));
const parameters = JSON.parse(readFileSync(path.join(DIR, 'parameters.json'), 'utf8')) as ReportParameters;
const report = JSON.parse(new TextDecoder().decode(reportBytes)) as ReportV1;

/** What recompute reads of an archive here: the evidence file; the previous bundle is not held. */
const archive = {
  readStream: (name: string) => {
    if (name !== `${BUNDLE}/evidence.jsonl.gz`) throw new Error(`unexpected read of ${name}`);
    return [evidence][Symbol.iterator]() as unknown as AsyncIterable<Uint8Array>;
  },
  read: async () => null,
} as unknown as ArchivePort;

/** The manifest fields recompute reads: schema, artifacts, period and the producer's parameters. */
const manifest = (p: ReportParameters) =>
  ({
    schema: 'sox-report-manifest/v2',
    bundle: BUNDLE,
    period: report.period,
    artifacts: [{ path: 'evidence.jsonl.gz', sha256: '0'.repeat(64), bytes: evidence.length }],
    producer: { parameters: p },
  }) as unknown as Manifest;

describe('verify --recompute of a report written before access rules 2', () => {
  it("is the previous version's: no access.rules, no new privilege, no new change kind", () => {
    expect(parameters.access).toBeDefined();
    expect(parameters.access!.rules).toBeUndefined();
    expect(report.access!.reportingUser!.privileges).toEqual([]);
    expect(report.access!.reportingUser!.beyondReadOnly).toEqual(['$JS.API.*', '$JS.API.*.>']);
    expect(report.access!.changes).toEqual([]);
    expect(report.detections).toEqual([]);
  });

  it('agrees with its evidence, derived with rules 1 as it was', async () => {
    const result = await recomputeBundle(archive, BUNDLE, manifest(parameters), reportBytes);
    expect(result.problems).toEqual([]);
    expect(result.notes).toEqual(['re-performed from evidence.jsonl.gz: 0 messages, every figure agrees']);
  });

  it('differs, naming each field, when its parameters claimed rules 2', async () => {
    const claimed = { ...parameters, access: { ...parameters.access!, rules: 2 as const } };
    const result = await recomputeBundle(archive, BUNDLE, manifest(claimed), reportBytes);
    const fields = result.problems.map((p) => p.replace(/^recompute: ([^:]+):.*$/s, '$1'));
    // `$JS.API.*` and `$JS.API.*.>` together: the JetStream API and its deletions; the four new change kinds, and
    // the four incidents they open.
    expect(fields).toEqual([
      'access.reportingUser.privileges[0]',
      'access.reportingUser.privileges[1]',
      'access.changes[0]',
      'access.changes[1]',
      'access.changes[2]',
      'access.changes[3]',
      'detections[0]',
      'detections[1]',
      'detections[2]',
      'detections[3]',
    ]);
    expect(result.problems[0]).toBe(
      'recompute: access.reportingUser.privileges[0]: report (absent), evidence "jetstream-api"',
    );
  });
});
