/**
 * The one flow: period + ports -> sealed, archived, delivered bundle. It decides nothing itself: the pure stages
 * do (analysis/, render/, seal/); this says in which order, and what is checked before anything is read.
 */
import { REPORT_HTML, REPORT_JSON, REPORT_PDF } from '../archive/layout.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { BundleExistsError } from '../errors.js';
import { renderReportHtml } from '../render/html.js';
import { buildViewModel } from '../render/view-model.js';
import { findPreviousManifest } from '../seal/chain.js';
import type { Ports, RunOptions, RunResult } from './contracts.js';
import { crashAfterWrite, crashPoint } from './crash-points.js';
import { deliver, deliverArchived } from './deliver.js';
import { documentsOfInterruptedRun, documentsOfThisRun } from './documents.js';
import { sealedFiles, signedPdf } from './seal-archive.js';
import { openBundlePlace } from './bundle-place-open.js';
import { largestCount } from '../slices/sizing.js';

export async function runReport(
  config: Config,
  period: Period,
  ports: Ports,
  options: RunOptions = {},
): Promise<RunResult> {
  const { where, located, retainUntil, place } = await openBundlePlace(config, period, ports, 'bundle');
  if (place.state === 'sealed') {
    ports.log(`bundle for this period already archived at ${located.reportDir}; it is left as it is`);
    const email = await deliverArchived(config, ports, where, located.reportDir, options);
    return { ...located, existed: true, ...(email ? { email } : {}) };
  }
  const stored = place.state === 'interrupted' ? place.stored : null;
  if (stored) ports.log(`completing the bundle an earlier run left unfinished at ${located.reportDir}`);

  const documents = stored?.files.get(REPORT_JSON)?.data
    ? documentsOfInterruptedRun(stored)
    : await documentsOfThisRun(
        config,
        period,
        ports,
        where,
        retainUntil,
        stored,
        options.readSlices
          ? { slices: largestCount(options.readSlices.plan), readSlices: options.readSlices }
          : { slices: options.slices ?? 1 },
      );
  crashPoint('evidence-staged');
  const vm = buildViewModel(documents.report, {
    branding: ports.branding,
    maxRows: config.report.maxListed,
    archiveLocation: located.reportDir,
    signed: true,
  });
  const html = stored?.files.get(REPORT_HTML)?.data ?? new TextEncoder().encode(renderReportHtml(vm, ports.templates));
  const pdf = stored?.files.get(REPORT_PDF)?.data ?? (await signedPdf(vm, ports.signer));

  try {
    const previous =
      period.kind === 'daily' && period.date
        ? documents.chainLink !== undefined
          ? documents.chainLink
          : await findPreviousManifest(ports.archive, period.date)
        : null;
    const files = await sealedFiles({ where, ports, stored, documents, html, pdf, previous });
    await ports.archive.writeBundle(where, files, { retainUntil, progress: crashAfterWrite });
  } catch (err) {
    await documents.discard();
    if (!(err instanceof BundleExistsError)) throw err;
    ports.log(`another run archived this period first (${err.message}); its bundle is left as it is`);
    return { ...located, existed: true };
  }
  ports.log(`archived ${located.reportDir}`);
  crashPoint('archived');

  const email = await deliver(config, ports, where, vm, pdf, located.reportDir, options);
  return { ...located, existed: false, report: documents.report, ...(email ? { email } : {}) };
}
