import { DateTime } from 'luxon';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { ComposedEmail } from '../deliver/mailer.js';
import { visible } from '../text/visible.js';
import { parseInstant } from '../time/nanos.js';
import { statusLabel } from './format.js';
import { templateContext } from './html.js';
import type { Templates } from './templates.js';
import type { ViewModel } from './view-model-types.js';

export interface ReportEmailOptions {
  from: string;
  to: string[];
  /** The signed PDF, attached unchanged; null when it is too large to attach and `pdfLink` says where it is. */
  pdf: Uint8Array | null;
  /** A time-limited link to the archived PDF, for an email that cannot carry it. */
  pdfLink?: { url: string; expiresAt: Date } | null;
  pdfName?: string;
  /** Where the archived bundle lives, when known. */
  archiveLocation: string | null;
  /** The Date header; fixed in tests so the message is reproducible. */
  date?: Date;
  messageId?: string;
}

/**
 * The officers' email: a summary (HTML and plain text from the same view model) with the signed PDF attached.
 * MailComposer writes the MIME; every header value built here from event or config data is reduced to one line
 * first, so no name can add a header of its own (`\r\nBcc: …`).
 */
export async function composeReportEmail(
  vm: ViewModel,
  templates: Templates,
  options: ReportEmailOptions,
): Promise<ComposedEmail> {
  const link = options.pdf === null ? (options.pdfLink ?? null) : null;
  if (options.pdf === null && !link) throw new Error('an email without the PDF needs a link to it');
  // templateContext shows every value of the view model through `visible`; what is added here gets the same.
  const context = {
    ...templateContext(vm),
    archiveLocation: options.archiveLocation === null ? null : visible(options.archiveLocation),
    signOff: visible(signOffCommand(vm, options.archiveLocation)),
    rollupSpan: vm.rollup ? visible(rollupSpan(vm.rollup)) : null,
    pdfLink: link
      ? {
          url: link.url,
          expiresUtc: link.expiresAt.toISOString(),
          expiresLocal: DateTime.fromJSDate(link.expiresAt, { zone: vm.timezone }).toFormat('yyyy-MM-dd HH:mm ZZZZ'),
        }
      : null,
  };
  const from = oneLine(options.from);
  const to = options.to.map(oneLine);
  const subject = reportSubject(vm);

  const composer = new MailComposer({
    from: { name: oneLine(visible(vm.branding.company ?? vm.branding.title)), address: from },
    to,
    subject,
    date: options.date ?? new Date(),
    ...(options.messageId ? { messageId: oneLine(options.messageId) } : {}),
    // Never the sender's auto-replies or vacation notices: nobody reads the reports mailbox.
    headers: { 'Auto-Submitted': 'auto-generated' },
    text: templates.render('email.txt.hbs', context),
    html: templates.render('email.html.hbs', context),
    attachments: options.pdf
      ? [
          {
            filename: attachmentName(options.pdfName),
            content: Buffer.from(options.pdf),
            contentType: 'application/pdf',
          },
        ]
      : [],
    // Content here is data, never a path or URL for nodemailer to read.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = await composer.compile().build();
  return { from, to, subject, raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
}

/**
 * `[FAIL] NATS SOX control report — 2026-11-24 (America/New_York) — Acme Payments`; a rollup's says so:
 * `… — rollup of November 2026, 2026-11-01 to 2026-11-30 (America/New_York) — …`.
 */
export function reportSubject(vm: ViewModel): string {
  const p = vm.period;
  const rollup = p.kind === 'rollup' ? (vm.rollup ?? null) : null;
  const when = rollup
    ? `rollup of ${rollupSpan(rollup)} (${vm.timezone})`
    : p.kind === 'daily' && p.date
      ? `${p.date} (${vm.timezone})`
      : `ad hoc ${shortLocal(p.fromUtc, vm.timezone)} to ${shortLocal(p.toUtc, vm.timezone)} (${vm.timezone})`;
  const parts = [`[${statusLabel(vm.status)}] ${vm.branding.title}`, when];
  if (vm.branding.company) parts.push(vm.branding.company);
  // Escaped like every other value the email shows; oneLine then only guards the header itself.
  return oneLine(visible(parts.join(' — ')));
}

/** `November 2026, 2026-11-01 to 2026-11-30`; a span that is no month, quarter or year is named by its days alone. */
export function rollupSpan(rollup: { first: string; last: string; name: string }): string {
  const days = rollup.first === rollup.last ? rollup.first : `${rollup.first} to ${rollup.last}`;
  return rollup.name === days ? days : `${rollup.name}, ${days}`;
}

/** Control characters (CR, LF, NUL, …) and Unicode line separators become spaces: a header value stays one line. */
export function oneLine(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function attachmentName(name: string | undefined): string {
  const safe = oneLine(name ?? '').replace(/[\\/]/g, '-');
  return safe || 'report.pdf';
}

function shortLocal(iso: string, timezone: string): string {
  const ns = parseInstant(iso);
  if (ns === null) return iso;
  return DateTime.fromMillis(Number(ns / 1_000_000n), { zone: timezone }).toFormat('yyyy-MM-dd HH:mm');
}

/** The exact command that signs this report off (sox-report attest), with the reviewer's parts to fill in. */
export function signOffCommand(vm: Pick<ViewModel, 'period'>, archiveLocation: string | null): string {
  const rollup = /rollup\/([^/]+)\/?$/.exec(archiveLocation ?? '');
  const which = vm.period.date
    ? `--date ${vm.period.date}`
    : rollup
      ? `--rollup ${rollup[1]}`
      : `--bundle ${bundleOf(archiveLocation)}`;
  return `sox-report attest ${which} --by "<your name>" --decision approved|exception [--note "<what you found>"]`;
}

function bundleOf(location: string | null): string {
  const m = /(adhoc\/[^/]+)\/?$/.exec(location ?? '');
  return m ? m[1]! : '<bundle path>';
}
