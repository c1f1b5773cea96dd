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
import type { StoredObjects } from '../seal/bundle-place.js';
import { findPreviousManifest } from '../seal/chain.js';
import type { Ports, RunOptions, RunResult } from './contracts.js';
import { crashAfterWrite, crashPoint } from './crash-points.js';
import { deliver, deliverArchived } from './deliver.js';
import { documentsOfInterruptedRun, documentsOfThisRun, type Documents } from './documents.js';
import { sealedFiles } from './seal-archive.js';
import { signedPdf } from './signed-pdf.js';
import { openBundlePlace, type OpenedPlace } from './bundle-place-open.js';
import { largestCount } from '../slices/sizing.js';

export async function runReport(
  config: Config,
  period: Period,
  ports: Ports,
  options: RunOptions = {},
): Promise<RunResult> {
  return runBundle(config, period, ports, options, 'bundle', ({ where, retainUntil }, stored) =>
    documentsOfThisRun(
      config,
      period,
      ports,
      where,
      retainUntil,
      stored,
      options.readSlices
        ? { slices: largestCount(options.readSlices.plan), readSlices: options.readSlices }
        : { slices: options.slices ?? 1 },
    ),
  );
}

/**
 * Every run that seals a bundle (a report, a rollup) around what makes its documents (`produce`): the place opened
 * first; a sealed bundle only delivered; an interrupted run completed, never redone (its objects may be locked for
 * years): once it stored its report.json, its documents are sealed as they are and `produce` is not called, and
 * before that `produce` makes them again beside what it stored. `noun` says what a failure left unarchived.
 */
export async function runBundle(
  config: Config,
  period: Period,
  ports: Ports,
  options: RunOptions,
  noun: 'bundle' | 'rollup',
  produce: (place: OpenedPlace, stored: StoredObjects | null) => Promise<Documents>,
): Promise<RunResult> {
  const opened = await openBundlePlace(config, period, ports, noun);
  const { where, located, retainUntil, place } = opened;
  if (place.state === 'sealed') {
    ports.log(`${noun} for this period already archived at ${located.reportDir}; it is left as it is`);
    // An earlier run archived it and then could not send its email (or sent it to others): this run sends it.
    const email = await deliverArchived(config, ports, where, located.reportDir, options);
    return { ...located, existed: true, ...(email ? { email } : {}) };
  }
  const stored = place.state === 'interrupted' ? place.stored : null;
  if (stored) ports.log(`completing the ${noun} an earlier run left unfinished at ${located.reportDir}`);

  const documents = stored?.files.get(REPORT_JSON)?.data
    ? documentsOfInterruptedRun(stored)
    : await produce(opened, stored);
  crashPoint('evidence-staged');
  const vm = buildViewModel(documents.report, {
    branding: ports.branding,
    maxRows: config.report.maxListed,
    archiveLocation: located.reportDir,
    signed: true,
  });
  // What the interrupted run stored is locked: sealed as it is, never rendered again.
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
