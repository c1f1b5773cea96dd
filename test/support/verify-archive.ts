/**
 * Archives for the `verify` tests: real sealed bundles (a signed PDF, a manifest and its signature, the chain),
 * written through the local archive adapter exactly as the pipeline writes them.
 */
import { execFileSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import PDFDocument from 'pdfkit';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { bundlePath, dailyBundlePath, keyPathOf, MANIFEST, MANIFEST_SIG } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import type { ArchivePort } from '../../functions/archive/port.js';
import { adhocPeriod, dailyPeriod, type Period } from '../../functions/config/period.js';
import { findPreviousManifest } from '../../functions/seal/chain.js';
import { certificateSha256, digestOf, keyFile } from '../../functions/seal/manifest.js';
import { reportParameters } from '../../functions/analysis/parameters.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Producer } from '../../functions/seal/producer.js';
import { addSignaturePlaceholder, signPdf } from '../../functions/seal/pdf-signature.js';
import { sealBundle } from '../../functions/seal/seal-bundle.js';
import type { Signer } from '../../functions/seal/signer.js';
import { formatInstant } from '../../functions/time/nanos.js';
import { sampleReport } from './sample-report.js';

export const TIMEZONE = 'America/New_York';
/** Written into the PDF's signature dictionary, after /Contents: inside the signed range, and plain text. */
export const PDF_REASON = 'Daily SOX control report';

/** What a test bundle says produced it. */
export const TEST_PRODUCER: Producer = {
  software: { name: 'nats-sox-reports', version: '0.0.0-test', commit: null },
  node: 'v20.0.0',
  natsServers: [{ source: 'audit', version: '2.10.27', name: 'hub1' }],
  configSha256: '0'.repeat(64),
  parameters: reportParameters(
    parseConfig(
      {
        timezone: TIMEZONE,
        sources: [
          {
            name: 'audit',
            nats: { servers: ['nats://127.0.0.1:4222'] },
            streams: [{ stream: 'SYS_EVENTS', kind: 'system-events' }],
          },
        ],
      },
      'test configuration',
    ),
  ),
};

export function reportFor(period: Period, generatedAt?: string): ReportV1 {
  const report = sampleReport();
  report.period = {
    from: formatInstant(period.from),
    to: formatInstant(period.to),
    timezone: period.timezone,
    kind: period.kind,
    ...(period.date ? { date: period.date } : {}),
  };
  report.generatedAt = generatedAt ?? formatInstant(period.to + 3_600_000_000_000n);
  return report;
}

export async function signedPdf(title: string, signer: Signer): Promise<Uint8Array> {
  const doc = new PDFDocument({ info: { Title: title } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.fontSize(16).text(title);
  addSignaturePlaceholder(doc, { reason: PDF_REASON, name: 'nats-sox-reports', location: 'test' });
  doc.end();
  await ended;
  return signPdf(new Uint8Array(Buffer.concat(chunks)), signer);
}

/**
 * Seals and archives the bundle of a period, linked to the latest earlier daily bundle as the pipeline does;
 * `extraArtifacts` are listed in the manifest after the three documents (such as an evidence file).
 */
export async function archivePeriod(
  archive: ArchivePort,
  period: Period,
  signer: Signer,
  generatedAt?: string,
  extraArtifacts: { path: string; data: Uint8Array }[] = [],
): Promise<string> {
  const bundle = bundlePath(period);
  const report = reportFor(period, generatedAt);
  const label = period.date ?? `${report.period.from} to ${report.period.to}`;
  const documents = [
    { path: 'report.json', data: new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`) },
    {
      path: 'report.html',
      data: new TextEncoder().encode(`<!doctype html><title>SOX report ${label}</title><p>All controls passed.</p>\n`),
    },
    { path: 'report.pdf', data: await signedPdf(`SOX report ${label}`, signer) },
    ...extraArtifacts,
  ];
  const sealed = await sealBundle({
    bundle,
    report,
    artifacts: documents.map((d) => digestOf(d.path, d.data)),
    signer,
    previous: period.date ? await findPreviousManifest(archive, period.date) : null,
    producer: TEST_PRODUCER,
  });
  const files = [
    ...documents.map((d) => ({ name: d.path, data: d.data })),
    { name: MANIFEST_SIG, data: sealed.signature },
    { name: MANIFEST, data: sealed.bytes },
  ];
  await archive.writeOnce(keyPathOf(signer.publicKeySha256, certificateSha256(signer.certificatePem)), keyFile(signer));
  await archive.writeBundle(bundle, files);
  return bundle;
}

export async function buildDailyArchive(root: string, dates: string[], signer: Signer): Promise<ArchivePort> {
  const archive = localArchive(root);
  for (const date of dates) await archivePeriod(archive, dailyPeriod(date, TIMEZONE), signer);
  return archive;
}

export async function addAdhocBundle(root: string, from: string, to: string, signer: Signer): Promise<string> {
  return archivePeriod(localArchive(root), adhocPeriod(from, to, TIMEZONE), signer);
}

/** A copy of an archive that a test may change: the local adapter leaves folders 0555 and files 0444. */
export async function writableCopy(source: string, target: string): Promise<string> {
  await cp(source, target, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', target]);
  return target;
}

export function dayFolder(root: string, date: string): string {
  return `${root}/${dailyBundlePath(date)}`;
}
