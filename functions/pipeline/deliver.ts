/** The email of an archived bundle, sent at most once per recipient list (a delivery receipt says it went). */
import type { ReportV1 } from '../analysis/report-model.js';
import { deliveryKey, receiptPath, REPORT_JSON, REPORT_PDF } from '../archive/layout.js';
import type { Config } from '../config/schema.js';
import { errorMessage, RunError } from '../errors.js';
import { parseReceipt, receiptBytes } from '../deliver/receipt.js';
import { composeWithinLimit } from '../deliver/size-limit.js';
import { composeReportEmail } from '../render/email.js';
import { buildViewModel } from '../render/view-model.js';
import type { ViewModel } from '../render/view-model-types.js';
import { millisFromNanos } from '../time/nanos.js';
import type { Ports, RunOptions } from './contracts.js';
import { crashPoint } from './crash-points.js';

/**
 * Sends the email of a bundle unless a receipt says it went to these recipients already, then archives the
 * receipt. A crash between the two sends it once more on the next run: officers may get it twice, never not.
 */
export async function deliver(
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
  const receipt = await receiptOf(ports, where, recipients);
  if (receipt.kind === 'sent') {
    ports.log(`email already sent to these recipients (receipt ${ports.archive.locate(receiptAt)})`);
    return undefined;
  }
  if (receipt.kind === 'foreign')
    ports.log(
      `${ports.archive.locate(receiptAt)} is not a delivery receipt of this bundle for these recipients ` +
        `(${receipt.why}): the email is sent`,
    );
  const base = { from: config.email.from, to: recipients, archiveLocation };
  const limit = ports.mailLimit;
  const composed = limit
    ? (
        await composeWithinLimit({
          maxBytes: limit.maxBytes,
          compose: (d) =>
            composeReportEmail(
              vm,
              ports.templates,
              d.kind === 'attached' ? { ...base, pdf } : { ...base, pdf: null, pdfLink: d.link },
            ),
          link: () => limit.pdfLink(`${where}/report.pdf`),
        })
      ).email
    : await composeReportEmail(vm, ports.templates, { ...base, pdf });
  let sent: { location: string; already?: boolean };
  try {
    sent = await ports.mailer.send(composed, { key: deliveryKey(ports.archive.locate(''), where, recipients) });
  } catch (err) {
    throw new RunError(
      `${archiveLocation} is archived; only its email to ${recipients.length} recipient(s) is pending: ` +
        `${errorMessage(err)}. The next run of this period sends it.`,
      { cause: err },
    );
  }
  const { location } = sent;
  crashPoint('email-sent');
  ports.log(
    sent.already
      ? `email already in the outbox (an earlier run wrote it; its receipt is written now): ${location}`
      : `email to ${recipients.length} recipient(s): ${location}`,
  );
  if (receipt.kind === 'foreign')
    throw new RunError(
      `${archiveLocation} is archived and its email to ${recipients.length} recipient(s) went out (${location}), ` +
        `but ${ports.archive.locate(receiptAt)}, where its delivery receipt belongs, holds an object this software ` +
        `did not write for it (${receipt.why}): find out who wrote it. Until it is gone every run of this period ` +
        'sends the email again rather than take that object’s word that it went.',
    );
  const written = {
    schema: 'sox-report-delivery/v1' as const,
    bundle: where,
    recipients,
    subject: composed.subject,
    location,
    sentAt: new Date(millisFromNanos(ports.now())).toISOString(),
  };
  try {
    await ports.archive.writeOnce(receiptAt, receiptBytes(written));
  } catch (err) {
    throw new RunError(
      `${archiveLocation} is archived and its email to ${recipients.length} recipient(s) went out (${location}); ` +
        `only its delivery receipt ${ports.archive.locate(receiptAt)} is missing: ${errorMessage(err)}. ` +
        'The next run of this period writes it (an outbox finds its message already there; SES sends it again).',
      { cause: err },
    );
  }
  crashPoint('receipt-written');
  return location;
}

/** The email of a bundle archived earlier, from what the archive holds (the report is not run again). */
export async function deliverArchived(
  config: Config,
  ports: Ports,
  where: string,
  reportDir: string,
  options: RunOptions,
): Promise<string | undefined> {
  if (!ports.mailer || !config.email) return undefined;
  if ((await receiptOf(ports, where, options.recipients ?? config.email.to)).kind === 'sent') return undefined;
  const json = await ports.archive.read(`${where}/${REPORT_JSON}`, { maxBytes: 256 * 1024 * 1024 });
  const pdf = await ports.archive.read(`${where}/${REPORT_PDF}`, { maxBytes: 1024 * 1024 * 1024 });
  if (json === null || pdf === null) {
    ports.log(`the archived bundle has no report.json or report.pdf to send; run verify on ${reportDir}`);
    return undefined;
  }
  ports.log('no delivery receipt for the archived bundle: sending its email now');
  const report = JSON.parse(new TextDecoder().decode(json)) as ReportV1;
  const vm = buildViewModel(report, {
    branding: ports.branding,
    maxRows: config.report.maxListed,
    archiveLocation: reportDir,
    signed: true,
  });
  return deliver(config, ports, where, vm, pdf, reportDir, options);
}

/** A receipt this software would have written for bundle `where` and these recipients: anything else is foreign. */
type ReceiptState = { kind: 'none' } | { kind: 'sent' } | { kind: 'foreign'; why: string };

/**
 * Whether the delivery receipt of `where` for `recipients` says the email went. Whoever may write the archive could
 * put an object at that path to stop the officers' email; only a receipt of this bundle and these recipients counts.
 */
async function receiptOf(ports: Ports, where: string, recipients: readonly string[]): Promise<ReceiptState> {
  const at = receiptPath(where, recipients);
  const bytes = await ports.archive.read(at, { maxBytes: RECEIPT_MAX_BYTES + 1 });
  if (bytes === null) return { kind: 'none' };
  if (bytes.byteLength > RECEIPT_MAX_BYTES) return { kind: 'foreign', why: `over ${RECEIPT_MAX_BYTES} bytes` };
  const receipt = parseReceipt(bytes);
  if ('notAReceipt' in receipt) return { kind: 'foreign', why: `not a delivery receipt: ${receipt.notAReceipt}` };
  if (receipt.bundle !== where) return { kind: 'foreign', why: 'the receipt of another bundle' };
  if (receiptPath(where, receipt.recipients) !== at) return { kind: 'foreign', why: 'a receipt for other recipients' };
  return { kind: 'sent' };
}

/** A receipt names a bundle, its recipients (at most 50), a subject, a location and a time: a few kilobytes. */
const RECEIPT_MAX_BYTES = 64 * 1024;
