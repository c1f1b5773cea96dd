import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';
import { plural } from './verdict.js';

/** A notification undelivered for longer than this fails the control. */
export const NOTIFICATION_DEADLINE_SECONDS = 86_400;

/** Every change of an incident reached every configured incident management tool within a day. */
export function notificationsDelivered({ notifications }: ControlInputs): Verdict {
  if (!notifications) return { status: 'not-applicable', detail: 'this report does not record incident notifications' };
  if (notifications.recordError !== null)
    return { status: 'warn', detail: `the notification queue could not be read: ${notifications.recordError}` };
  const { integrations, undelivered } = notifications;
  if (integrations.length === 0 && undelivered.length === 0)
    return { status: 'not-applicable', detail: 'no incident integration is configured' };
  const describe = (u: (typeof undelivered)[number]) =>
    `${u.change} of ${u.incident} to ${u.integration} (queued ${u.queuedAt}, ` +
    `${plural(u.attempts, 'failed try', 'failed tries')}${u.lastError ? `, last: ${u.lastError}` : ''})`;
  const late = undelivered.filter((u) => u.ageSeconds > NOTIFICATION_DEADLINE_SECONDS);
  const listed = late.map(describe).join('; ');
  if (late.length)
    return {
      status: 'fail',
      detail: `${plural(late.length, 'notification')} undelivered for more than a day: ${listed}`,
    };
  if (undelivered.length)
    return {
      status: 'warn',
      detail: `${plural(undelivered.length, 'notification')} awaiting a retry: ${undelivered.map(describe).join('; ')}`,
    };
  return { status: 'pass', detail: `every notification to ${integrations.join(', ')} was delivered` };
}
