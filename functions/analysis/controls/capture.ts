import type { StreamPlanSummary } from '../report-model.js';
import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';

const NOT_CAPTURED = /^does not capture /;

/** Every configured stream exists and captures every subject its kind requires, for every account named. */
export function captureConfigured({ streamPlans }: ControlInputs): Verdict {
  if (streamPlans === null) return { status: 'warn', detail: 'the capture streams could not be inspected in this run' };
  const absent = streamPlans.filter((p) => p.action === 'absent' || p.action === 'create');
  const partial = streamPlans.filter((p) => p.findings.some((f) => NOT_CAPTURED.test(f)));
  if (absent.length || partial.length) {
    const parts = [
      ...absent.map((p) => `${p.stream} does not exist`),
      ...partial.map((p) => `${p.stream} ${p.findings.find((f) => NOT_CAPTURED.test(f))!}`),
    ];
    return { status: 'fail', detail: `events are not being recorded: ${parts.join('; ')} (run sox-report provision)` };
  }
  return { status: 'pass', detail: `${streamPlans.length} streams capture every required subject` };
}

/**
 * Capture streams keep the provision settings (file storage, deny delete and purge, no roll-ups, discard old, no
 * limit shorter than the retention); a finding that the previous report did not have is drift since then.
 */
export function captureTamperResistant({ streamPlans, previous }: ControlInputs): Verdict {
  if (streamPlans === null) return { status: 'warn', detail: 'the capture streams could not be inspected in this run' };
  const weak = streamPlans.filter((p) => weakenings(p).length > 0);
  if (weak.length === 0)
    return { status: 'pass', detail: `${streamPlans.length} streams keep their tamper-resistant settings` };
  const before = previous?.controls.find((c) => c.id === 'capture-tamper-resistant');
  const since = before?.status === 'pass' ? ' (weakened since the previous report, which found them intact)' : '';
  return {
    status: 'fail',
    detail: `${weak.map((p) => `${p.stream}: ${weakenings(p).join(', ')}`).join('; ')}${since}`,
  };
}

function weakenings(plan: StreamPlanSummary): string[] {
  return plan.findings.filter((f) => !NOT_CAPTURED.test(f));
}
