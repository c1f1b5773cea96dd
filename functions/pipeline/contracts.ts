/**
 * The contracts of the one flow (run-report.ts): the ports it is given and what it returns. A leaf module: the
 * stages import these types, the CLI and the Lambda handlers implement the ports.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { ReportV1 } from '../analysis/report-model.js';
import type { ArchivePort } from '../archive/port.js';
import type { SourceConfig } from '../config/schema.js';
import type { Mailer } from '../deliver/mailer.js';
import type { PdfLink } from '../deliver/size-limit.js';
import type { AlertPort } from '../incidents/alerts.js';
import type { IntegrationSecrets } from '../incidents/integration-secret.js';
import type { ByteSink } from '../ingest/sink-writer.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import type { Templates } from '../render/templates.js';
import type { Branding } from '../render/view-model-types.js';
import type { Signer } from '../seal/signer.js';
import type { SlicePart } from '../slices/codec.js';
import type { SlicePlan } from '../slices/plan.js';
import type { RunDeadline } from '../source/retry.js';
import type { Nanos } from '../time/nanos.js';

export interface Ports {
  archive: ArchivePort;
  /** Opens the NATS connection of a source; the pipeline closes it. */
  connect(source: SourceConfig): Promise<NatsConnection>;
  /**
   * How long this run may wait out NATS outages in all, and until when (a Lambda's remaining time); one per run, as
   * these ports are. Absent: a few minutes (source/retry.ts DEFAULT_NATS_WAIT_MS) for each connection.
   */
  deadline?: RunDeadline;
  signer: Signer;
  templates: Templates;
  /** Branding with the logo already read. */
  branding: Branding;
  /** Where the email goes; null when the configuration asks for none. */
  mailer: Mailer | null;
  /**
   * Where newly opened incidents are announced besides the configured NATS subject (stderr, SNS); null: nowhere else.
   */
  alerts?: AlertPort | null;
  /** The integrations' secrets named by `secretArn`, read from Secrets Manager on AWS; absent: none (env only). */
  integrationSecrets?: IntegrationSecrets;
  /** A mailer with a size limit (SES): larger emails carry a time-limited link to the archived PDF instead. */
  mailLimit?: { maxBytes: number; pdfLink(pdfPath: string): Promise<PdfLink> };
  /**
   * Told how far each stream's replay is (a terminal's bars, a Lambda's periodic log line); absent: the replay does
   * not even size the streams for it.
   */
  progress?: (progress: StreamProgress) => void;
  now(): Nanos;
  log(message: string): void;
}

export interface RunOptions {
  /** Send to these addresses instead of the configured ones (on-demand runs). */
  recipients?: string[];
  /** Read each stream in this many time slices at once (`--slices`, slices/plan.ts); default 1. */
  slices?: number;
  /** Slices already read elsewhere (the Step Functions fan-out): merged instead of reading NATS (replay-sliced.ts). */
  readSlices?: ReadSlices;
}

/** How a run reads its period: in how many time slices per stream, or from slices read elsewhere (the fan-out). */
export interface PeriodReading {
  /** 1: one read per stream; with `readSlices`, the plan's largest count (what report.json records). */
  slices: number;
  readSlices?: ReadSlices;
}

/**
 * Slices read by other processes (the fan-out's slice functions), as the merge finds them: the plan, each slice's
 * part (slices/codec.ts), and a way to copy a part's evidence that checks it is the part's digest.
 */
export interface ReadSlices {
  plan: SlicePlan[];
  /** Every planned slice's part, read back and decoded; asked once, only when a bundle is to be built. */
  parts(): Promise<SlicePart[]>;
  /** Writes the evidence part of the plan's slice at `position` into `sink`; throws, naming it, if not `part`'s. */
  copyEvidence(position: number, part: SlicePart, sink: ByteSink): Promise<void>;
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
