/**
 * For tests only: where a run can be made to die as a power cut would, so that what each step leaves behind is
 * tested by rerunning it (test/integration/crash-rerun.test.ts). `SOX_REPORT_CRASH_AT=<point>` in the process's
 * environment kills the process with SIGKILL at that point: no `finally`, no cleanup, no flush. Unset (always, in
 * use) it does nothing. It is read from the environment only, never from the configuration file, whose schema
 * refuses unknown keys; an unknown point is ignored, so a test asserts that its process was killed. A rollup passes
 * the same points but the evidence file's (test/integration/rollup-crash.test.ts).
 */
import { EVIDENCE_FILE, isIntentFile, MANIFEST, MANIFEST_SIG } from '../archive/layout.js';
import type { WriteStep } from '../archive/port.js';

export const CRASH_ENV = 'SOX_REPORT_CRASH_AT';

/** In the order a run passes them. */
export const CRASH_POINTS = [
  /**
   * The evidence is staged and the report built (incidents recorded); nothing of the bundle is written. A rollup,
   * which has no evidence file, passes it once its report is built.
   */
  'evidence-staged',
  /** Each file of the bundle stored: into the staging folder (local) or as a locked object (S3). */
  'intent-written',
  'evidence-written',
  'report.json-written',
  'report.html-written',
  'report.pdf-written',
  /** The manifest is signed and its signature stored; the manifest itself is not. */
  'signature-written',
  'manifest-written',
  /** Local archive: the bundle is renamed into place and its folder not yet made read-only (0700). */
  'bundle-renamed',
  /** The bundle is archived; its email is not sent. */
  'archived',
  /** The email is sent (or in the outbox); its delivery receipt is not written. */
  'email-sent',
  'receipt-written',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_ENV] === point) process.kill(process.pid, 'SIGKILL');
}

/** The crash point a step of the archive's write passes (WriteOptions.progress). */
export function crashAfterWrite(step: WriteStep): void {
  if (process.env[CRASH_ENV] === undefined) return;
  crashPoint(crashPointOfWrite(step));
}

export function crashPointOfWrite(step: WriteStep): CrashPoint {
  if ('placed' in step) return 'bundle-renamed';
  if (isIntentFile(step.file)) return 'intent-written';
  if (step.file === EVIDENCE_FILE) return 'evidence-written';
  if (step.file === MANIFEST_SIG) return 'signature-written';
  if (step.file === MANIFEST) return 'manifest-written';
  return `${step.file}-written` as CrashPoint;
}
