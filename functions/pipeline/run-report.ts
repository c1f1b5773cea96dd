import { createPublicKey, verify } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { buildReport } from './analysis/finalize.js';
import type { ReportV1 } from './analysis/report-model.js';
import { BundleExistsError, type ArchivePort } from './archive/port.js';
import { bundlePath, type Period } from './config/period.js';
import type { Config, SourceConfig } from './config/schema.js';
import type { Mailer } from './deliver/mailer.js';
import { receiptBytes, receiptPath } from './deliver/receipt.js';
import { composeWithinLimit, type PdfLink } from './deliver/size-limit.js';
import { composeReportEmail } from './render/email.js';
import { renderReportHtml } from './render/html.js';
import { renderReportPdf } from './render/pdf.js';
import type { Templates } from './render/templates.js';
import { buildViewModel, type Branding, type ViewModel } from './render/view-model.js';
import { replayAndAggregate } from './replay-aggregate.js';
import { evaluateControls } from './analysis/controls/catalogue.js';
import { accountedThrough, withoutCarriedGaps } from './analysis/carried-gaps.js';
import { archiveLockState, previousDaily } from './control-inputs.js';
import { detect } from './analysis/detection/detect.js';
import { detectionContext } from './analysis/detection/context.js';
import type { AlertPort } from './incidents/alerts.js';
import { recordIncidents } from './incidents/run-incidents.js';
import { findPreviousManifest } from './seal/chain.js';
import { keyFile, keyPathOf, manifestBytes, MANIFEST_SIG, sha256, type PreviousManifest } from './seal/manifest.js';
import { addSignaturePlaceholder, signPdf } from './seal/pdf-signature.js';
import { sealBundle } from './seal/seal-bundle.js';
import type { Signer } from './seal/signer.js';
import { millisFromNanos, type Nanos } from './time/nanos.js';

export interface Ports {
  archive: ArchivePort;
  /** Opens the NATS connection of a source; the pipeline closes it. */
  connect(source: SourceConfig): Promise<NatsConnection>;
  signer: Signer;
  templates: Templates;
  /** Branding with the logo already read. */
  branding: Branding;
  /** Where the email goes; null when the configuration asks for none. */
  mailer: Mailer | null;
  /** Where newly opened incidents are announced besides the configured NATS subject (stderr, SNS); null: nowhere else. */
  alerts?: AlertPort | null;
  /** A mailer with a size limit (SES): larger emails carry a time-limited link to the archived PDF instead. */
  mailLimit?: { maxBytes: number; pdfLink(pdfPath: string): Promise<PdfLink> };
  now(): Nanos;
  log(message: string): void;
}

export interface RunOptions {
  /** Send to these addresses instead of the configured ones (on-demand runs). */
  recipients?: string[];
}

export interface RunResult {
  /** Where the bundle lives in the archive. */
  reportDir: string;
  reportJson: string;
  reportPdf: string;
  reportHtml: string;
  manifest: string;
  /** True when the period was already archived: nothing was read, written or sent. */
  existed: boolean;
  report?: ReportV1;
  /** Where the email went (an outbox file, a provider message id), when this run sent it. */
  email?: string;
}

/** The one flow: period + ports -> sealed, archived, delivered bundle. What decides is in the pure stages. */
export async function runReport(config: Config, period: Period, ports: Ports, options: RunOptions = {}): Promise<RunResult> {
  const where = bundlePath(period);
  const at = (name: string) => ports.archive.locate(`${where}/${name}`);
  const located = {
    reportDir: ports.archive.locate(where),
    reportJson: at('report.json'),
    reportPdf: at('report.pdf'),
    reportHtml: at('report.html'),
    manifest: at('manifest.json'),
  };
  if (await ports.archive.exists(where)) {
    ports.log(`bundle for this period already archived at ${located.reportDir}; it is left as it is`);
    const email = await deliverArchived(config, ports, where, located.reportDir, options);
    return { ...located, existed: true, ...(email ? { email } : {}) };
  }

  // Objects of an interrupted run can never be replaced on a locked archive: finish that run instead.
  const stored = await storedArtifacts(ports.archive, where);
  let report: ReportV1;
  let reportJson: Uint8Array;
  // The manifest this bundle links to, once read for the controls; undefined until then.
  let chainLink: PreviousManifest | null | undefined;
  if (stored.json) {
    ports.log(`completing the bundle an earlier run left unfinished at ${located.reportDir}`);
    reportJson = stored.json;
    report = JSON.parse(new TextDecoder().decode(reportJson)) as ReportV1;
  } else {
    const replayed = await replayAndAggregate(config, period, ports);
    const { state, streamPlans } = replayed;
    const { previous, previousBundle, link } = await previousDaily(ports.archive, period);
    chainLink = link;
    const streams = withoutCarriedGaps(replayed.streams, previous);
    report = buildReport(period, streams, state, ports.now(), { topN: config.report.topN }, previous);
    const now = new Date(millisFromNanos(ports.now()));
    const driftFindings = (streamPlans ?? []).filter((p) => p.action === 'drift').map((p) => ({ stream: p.stream, findings: p.findings }));
    if (streamPlans) report.streamSettings = streamPlans.map((p) => ({ source: p.source, stream: p.stream, findings: p.findings }));
    const detections = detect(report, detectionContext(config, previous, driftFindings));
    const incidents = await recordIncidents(config, ports, detections, period, now);
    report.incidents = incidents.report;
    report.controls = evaluateControls({
      report,
      streams: config.sources.flatMap((s) => s.streams.map((r) => ({ source: s.name, stream: r.stream, kind: r.kind, quiet: r.quiet }))),
      previous,
      streamPlans,
      previousBundle,
      archiveLock: await archiveLockState(ports.archive, period, now),
      // A mirror is in sync when it holds everything up to the period's last message (later traffic may still be in flight).
      mirrors: config.mirrors.length
        ? replayed.mirrors.map((m) => {
            const through = Math.max(0, ...streams.filter((s) => s.stream === m.stream).map((s) => accountedThrough(s) ?? 0));
            return { ...m, lag: m.lastSeq === null ? null : Math.max(0, through - m.lastSeq) };
          })
        : null,
      incidents: incidents.states,
      incidentDeadlineDays: config.incidents.deadlineDays,
    });
    reportJson = new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
  }

  const vm = buildViewModel(report, {
    branding: ports.branding,
    maxRows: config.report.maxListed,
    archiveLocation: located.reportDir,
    signed: true,
  });
  const html = stored.html ?? new TextEncoder().encode(renderReportHtml(vm, ports.templates));
  const pdf = stored.pdf ?? (await signedPdf(vm, ports.signer));

  const previous =
    period.kind === 'daily' && period.date ? (chainLink !== undefined ? chainLink : await findPreviousManifest(ports.archive, period.date)) : null;
  const sealed = await sealBundle({
    bundle: where,
    report,
    artifacts: [
      { path: 'report.json', data: reportJson },
      { path: 'report.html', data: html },
      { path: 'report.pdf', data: pdf },
    ],
    signer: ports.signer,
    previous,
  });
  if (stored.signature && signs(ports.signer, manifestBytes(sealed.manifest), stored.signature)) {
    // KMS signatures differ run to run; an earlier run's valid one is the one the archive holds.
    const sig = sealed.files.find((f) => f.name === MANIFEST_SIG)!;
    sig.data = stored.signature;
  }

  const retainUntil = retainUntilOf(period, config.retentionYears);
  await ports.archive.writeOnce(keyPathOf(ports.signer.publicKeySha256), keyFile(ports.signer), { retainUntil });
  try {
    await ports.archive.writeBundle(where, sealed.files, { retainUntil });
  } catch (err) {
    if (!(err instanceof BundleExistsError)) throw err;
    ports.log(`another run archived this period first (${err.message}); its bundle is left as it is`);
    return { ...located, existed: true };
  }
  ports.log(`archived ${located.reportDir} (manifest ${sha256(manifestBytes(sealed.manifest)).slice(0, 16)}…)`);

  const email = await deliver(config, ports, where, vm, pdf, located.reportDir, options);
  return { ...located, existed: false, report, ...(email ? { email } : {}) };
}

/**
 * Sends the email of a bundle unless a receipt says it went to these recipients already, then archives the
 * receipt. A crash between the two sends it once more on the next run: officers may get it twice, never not.
 */
async function deliver(
  config: Config,
  ports: Ports,
  where: string,
  vm: ViewModel,
  pdf: Uint8Array,
  archiveLocation: string,
  options: RunOptions,
): Promise<string | undefined> {
  if (!ports.mailer || !config.email) return undefined;
  const recipients = options.recipients ?? config.email.to;
  const receiptAt = receiptPath(where, recipients);
  if ((await ports.archive.read(receiptAt)) !== null) {
    ports.log(`email already sent to these recipients (receipt ${ports.archive.locate(receiptAt)})`);
    return undefined;
  }
  const base = { from: config.email.from, to: recipients, archiveLocation };
  const limit = ports.mailLimit;
  const composed = limit
    ? (
        await composeWithinLimit({
          maxBytes: limit.maxBytes,
          compose: (d) =>
            composeReportEmail(vm, ports.templates, d.kind === 'attached' ? { ...base, pdf } : { ...base, pdf: null, pdfLink: d.link }),
          link: () => limit.pdfLink(`${where}/report.pdf`),
        })
      ).email
    : await composeReportEmail(vm, ports.templates, { ...base, pdf });
  const { location } = await ports.mailer.send(composed);
  ports.log(`email to ${recipients.length} recipient(s): ${location}`);
  const receipt = { schema: 'sox-report-delivery/v1' as const, bundle: where, recipients, subject: composed.subject, location, sentAt: new Date(millisFromNanos(ports.now())).toISOString() };
  await ports.archive.writeOnce(receiptAt, receiptBytes(receipt));
  return location;
}

/** The email of a bundle archived earlier, from what the archive holds (the report is not run again). */
async function deliverArchived(config: Config, ports: Ports, where: string, reportDir: string, options: RunOptions): Promise<string | undefined> {
  if (!ports.mailer || !config.email) return undefined;
  if ((await ports.archive.read(receiptPath(where, options.recipients ?? config.email.to))) !== null) return undefined;
  const [json, pdf] = [await ports.archive.read(`${where}/report.json`), await ports.archive.read(`${where}/report.pdf`)];
  if (json === null || pdf === null) {
    ports.log(`the archived bundle has no report.json or report.pdf to send; run verify on ${reportDir}`);
    return undefined;
  }
  ports.log('no delivery receipt for the archived bundle: sending its email now');
  const report = JSON.parse(new TextDecoder().decode(json)) as ReportV1;
  const vm = buildViewModel(report, { branding: ports.branding, maxRows: config.report.maxListed, archiveLocation: reportDir, signed: true });
  return deliver(config, ports, where, vm, pdf, reportDir, options);
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

interface StoredArtifacts {
  json: Uint8Array | null;
  html: Uint8Array | null;
  pdf: Uint8Array | null;
  signature: Uint8Array | null;
}

async function storedArtifacts(archive: ArchivePort, where: string): Promise<StoredArtifacts> {
  const json = await archive.read(`${where}/report.json`);
  if (json === null) return { json: null, html: null, pdf: null, signature: null };
  return {
    json,
    html: await archive.read(`${where}/report.html`),
    pdf: await archive.read(`${where}/report.pdf`),
    signature: await archive.read(`${where}/${MANIFEST_SIG}`),
  };
}

function signs(signer: Signer, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, createPublicKey(signer.publicKeyPem), signature);
  } catch {
    return false;
  }
}

/** The lock outlives the period by the configured years (ARCHITECTURE.md: seven by default). */
export function retainUntilOf(period: Period, years: number): Date {
  const end = new Date(millisFromNanos(period.to));
  end.setUTCFullYear(end.getUTCFullYear() + years);
  return end;
}
