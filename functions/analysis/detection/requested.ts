import type { JetStreamChange } from '../report-model.js';

/**
 * Whether somebody asked for a change through the JetStream API, rather than the server acting by itself
 * (removing an ephemeral consumer after its inactivity threshold, announced by an advisory alone). A change
 * with an API audit record names its client from nats-server 2.10.10 on; on older servers the audit record
 * shows only as the second evidence reference of the paired change.
 */
export function requestedThroughApi(change: JetStreamChange): boolean {
  return change.user !== null || change.client !== null || change.host !== null || change.evidence.length > 1;
}
