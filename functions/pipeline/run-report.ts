/**
 * The one flow: period + ports -> sealed, archived, delivered bundle. It decides nothing itself: the pure stages
 * do (analysis/, render/, seal/); this says in which order, and what is checked before anything is read.
 */
import type { ReportV1 } from '../analysis/report-model.js';
import { BundleExistsError, type BundleFile } from '../archive/port.js';
import { bundlePath, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { RunError } from '../errors.js';
import { EVIDENCE_FILE } from '../evidence/format.js';
import { renderReportHtml } from '../render/html.js';
import { renderReportPdf } from '../render/pdf.js';
import { buildViewModel, type ViewModel } from '../render/view-model.js';
import { inspectBundlePlace, type StoredObjects } from '../seal/bundle-place.js';
import { findPreviousManifest } from '../seal/chain.js';
import { intentFileName, newRunId, signIntent } from '../seal/intent.js';
import { certificateSha256, digestOf, keyFile, keyPathOf, MANIFEST, MANIFEST_SIG, sha256, type ArtifactDigest, type PreviousManifest } from '../seal/manifest.js';
import { addSignaturePlaceholder, signPdf } from '../seal/pdf-signature.js';
import type { Producer } from '../seal/producer.js';
import { sealBundle, signedBy } from '../seal/seal-bundle.js';
import type { Signer } from '../seal/signer.js';
import { millisFromNanos } from '../time/nanos.js';
import { analysePeriod } from './analyse-period.js';
import type { Ports, RunOptions, RunResult } from './contracts.js';
import { deliver, deliverArchived } from './deliver.js';

export type { Ports, RunOptions, RunResult } from './contracts.js';

export async function runReport(config: Config, period: Period, ports: Ports, options: RunOptions = {}): Promise<RunResult> {
  const where = bundlePath(period);
  const at = (name: string) => ports.archive.locate(`${where}/${name}`);
  const located = {
    reportDir: ports.archive.locate(where),
    reportJson: at('report.json'),
    reportPdf: at('report.pdf'),
    reportHtml: at('report.html'),
    manifest: at(MANIFEST),
  };
  const retainUntil = retainUntilOf(period, config.retentionYears);

  // Before anything is read from NATS: the key's file (a renewed certificate is a file of its own), and what
  // is already in the bundle's place.
  await ports.archive.writeOnce(keyPathOf(ports.signer.publicKeySha256, certificateSha256(ports.signer.certificatePem)), keyFile(ports.signer), { retainUntil });
  const place = await inspectBundlePlace(ports.archive, where, ports.signer);
  if (place.state === 'sealed') {
    ports.log(`bundle for this period already archived at ${located.reportDir}; it is left as it is`);
    const email = await deliverArchived(config, ports, where, located.reportDir, options);
    return { ...located, existed: true, ...(email ? { email } : {}) };
  }
  const stored = place.state === 'interrupted' ? place.stored : null;
  if (stored) ports.log(`completing the bundle an earlier run left unfinished at ${located.reportDir}`);

  const documents = stored?.files.get('report.json')?.data ? documentsOfInterruptedRun(stored) : await documentsOfThisRun(config, period, ports, where, retainUntil, stored);
  const vm = buildViewModel(documents.report, { branding: ports.branding, maxRows: config.report.maxListed, archiveLocation: located.reportDir, signed: true });
  const html = stored?.files.get('report.html')?.data ?? new TextEncoder().encode(renderReportHtml(vm, ports.templates));
  const pdf = stored?.files.get('report.pdf')?.data ?? (await signedPdf(vm, ports.signer));

  try {
    const previous = period.kind === 'daily' && period.date ? (documents.chainLink !== undefined ? documents.chainLink : await findPreviousManifest(ports.archive, period.date)) : null;
    const files = await sealedFiles({ where, ports, stored, documents, html, pdf, previous });
    await ports.archive.writeBundle(where, files, { retainUntil });
  } catch (err) {
    await documents.discard();
    if (!(err instanceof BundleExistsError)) throw err;
    ports.log(`another run archived this period first (${err.message}); its bundle is left as it is`);
    return { ...located, existed: true };
  }
  ports.log(`archived ${located.reportDir}`);

  const email = await deliver(config, ports, where, vm, pdf, located.reportDir, options);
  return { ...located, existed: false, report: documents.report, ...(email ? { email } : {}) };
}

/** What the bundle's documents rest on: the report, its evidence file, and what produced them. */
interface Documents {
  report: ReportV1;
  reportJson: Uint8Array;
  evidence: BundleFile & ArtifactDigest;
  producer: Producer;
  chainLink: PreviousManifest | null | undefined;
  /** Drops the staged evidence when the bundle is not archived after all. */
  discard(): Promise<void>;
}

async function documentsOfThisRun(config: Config, period: Period, ports: Ports, where: string, retainUntil: Date, stored: StoredObjects | null): Promise<Documents> {
  const analysed = await analysePeriod(config, period, ports, where, retainUntil);
  const { file, digest } = analysed.evidence;
  let evidence: Documents['evidence'] = { name: EVIDENCE_FILE, staged: file, path: EVIDENCE_FILE, ...digest };
  // An interrupted run that got as far as its evidence left it locked: this run's must be the same bytes.
  const earlier = stored?.files.get(EVIDENCE_FILE);
  if (earlier) {
    await file.discard();
    if (earlier.sha256 !== digest.sha256) {
      throw new RunError(
        `${ports.archive.locate(`${where}/${EVIDENCE_FILE}`)} was archived by an interrupted run (SHA-256 ${earlier.sha256}), ` +
          `but this run read other messages for the period (SHA-256 ${digest.sha256}): the streams changed since. Nothing was ` +
          'signed. The bundle cannot be completed at this path: investigate the capture streams, and archive the period elsewhere.',
      );
    }
    evidence = { name: EVIDENCE_FILE, stored: { bytes: earlier.bytes, sha256: earlier.sha256 }, path: EVIDENCE_FILE, bytes: earlier.bytes, sha256: earlier.sha256 };
  }
  return {
    report: analysed.report,
    reportJson: new TextEncoder().encode(`${JSON.stringify(analysed.report, null, 2)}\n`),
    evidence,
    producer: analysed.producer,
    chainLink: analysed.chainLink,
    discard: () => (earlier ? Promise.resolve() : file.discard()),
  };
}

/** An interrupted run got as far as report.json: its documents are sealed as they are, with what produced them. */
function documentsOfInterruptedRun(stored: StoredObjects): Documents {
  const json = stored.files.get('report.json')!;
  const evidence = stored.files.get(EVIDENCE_FILE);
  const vouching = stored.intents.find((i) => i.artifacts.some((a) => a.path === 'report.json' && a.sha256 === json.sha256));
  if (!evidence || !vouching) throw new RunError(`the interrupted run's report.json has no evidence file beside it: the bundle cannot be completed`);
  return {
    report: JSON.parse(new TextDecoder().decode(json.data!)) as ReportV1,
    reportJson: json.data!,
    evidence: { name: EVIDENCE_FILE, stored: { bytes: evidence.bytes, sha256: evidence.sha256 }, path: EVIDENCE_FILE, bytes: evidence.bytes, sha256: evidence.sha256 },
    producer: vouching.producer as Producer,
    chainLink: undefined,
    discard: () => Promise.resolve(),
  };
}

/**
 * The bundle's files in the order they are written: this run's signed intent first (it names every document to
 * come), the evidence, the documents, then the manifest's signature and the manifest. Documents and intents an
 * interrupted run stored are kept as they are and listed too.
 */
async function sealedFiles(input: {
  where: string;
  ports: Ports;
  stored: StoredObjects | null;
  documents: Documents;
  html: Uint8Array;
  pdf: Uint8Array;
  previous: PreviousManifest | null;
}): Promise<BundleFile[]> {
  const { where, ports, stored, documents } = input;
  const kept = (name: string, data: Uint8Array): BundleFile => {
    const earlier = stored?.files.get(name);
    return earlier ? { name, stored: { bytes: earlier.bytes, sha256: earlier.sha256 } } : { name, data };
  };
  const documentFiles: (BundleFile & ArtifactDigest)[] = [
    documents.evidence,
    { ...kept('report.json', documents.reportJson), ...digestOf('report.json', documents.reportJson) },
    { ...kept('report.html', input.html), ...digestOf('report.html', input.html) },
    { ...kept('report.pdf', input.pdf), ...digestOf('report.pdf', input.pdf) },
  ];
  const run = newRunId(ports.now());
  const intent = await signIntent(
    {
      bundle: where,
      run,
      signer: { publicKeySha256: ports.signer.publicKeySha256, certificateSha256: certificateSha256(ports.signer.certificatePem) },
      artifacts: documentFiles.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
      producer: documents.producer,
    },
    ports.signer,
  );
  const earlierIntents = (stored?.intents ?? []).map((i) => intentFileName(i.run));
  const intents: (BundleFile & ArtifactDigest)[] = [
    ...(await Promise.all(earlierIntents.map((name) => storedDigest(ports, where, name)))),
    { name: intentFileName(run), data: intent, ...digestOf(intentFileName(run), intent) },
  ];
  const sealed = await sealBundle({
    bundle: where,
    report: documents.report,
    artifacts: [...intents, ...documentFiles].map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
    signer: ports.signer,
    previous: input.previous,
    producer: documents.producer,
  });
  // KMS signatures differ run to run; an earlier run's valid one is the one the archive holds.
  const signature = stored?.signature && signedBy(ports.signer, sealed.bytes, stored.signature) ? stored.signature : sealed.signature;
  if (stored?.signature && signature !== stored.signature) {
    throw new RunError(`${ports.archive.locate(`${where}/${MANIFEST_SIG}`)} is not this bundle's manifest signature: it was not written by this software's run`);
  }
  ports.log(`sealed ${where} (manifest ${sha256(sealed.bytes).slice(0, 16)}…)`);
  return [
    ...intents.map(strip),
    ...documentFiles.map(strip),
    stored?.signature ? { name: MANIFEST_SIG, stored: { bytes: signature.length, sha256: sha256(signature) } } : { name: MANIFEST_SIG, data: signature },
    { name: MANIFEST, data: sealed.bytes },
  ];
}

async function storedDigest(ports: Ports, where: string, name: string): Promise<BundleFile & ArtifactDigest> {
  const data = await ports.archive.read(`${where}/${name}`, { maxBytes: 4 * 1024 * 1024 });
  if (data === null) throw new RunError(`${ports.archive.locate(`${where}/${name}`)} disappeared while the bundle was completed`);
  return { name, stored: { bytes: data.length, sha256: sha256(data) }, ...digestOf(name, data) };
}

/** A bundle file without the digest it was listed with. */
function strip(file: BundleFile & ArtifactDigest): BundleFile {
  if ('staged' in file) return { name: file.name, staged: file.staged };
  if ('stored' in file) return { name: file.name, stored: file.stored };
  return { name: file.name, data: file.data };
}

async function signedPdf(vm: ViewModel, signer: Signer): Promise<Uint8Array> {
  const unsigned = await renderReportPdf(vm, {
    beforeEnd: (doc) =>
      addSignaturePlaceholder(doc, {
        reason: `SOX control report for ${vm.period.heading}`,
        name: vm.branding.company ?? 'nats-sox-reports',
      }),
  });
  return signPdf(unsigned, signer);
}

/** The lock outlives the period by the configured years (seven by default). */
export function retainUntilOf(period: Period, years: number): Date {
  const end = new Date(millisFromNanos(period.to));
  end.setUTCFullYear(end.getUTCFullYear() + years);
  return end;
}
