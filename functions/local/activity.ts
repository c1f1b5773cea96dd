import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import { startLeaf, type RunningHub } from './hub.js';

/** What the scenario did, so a test can hold the report to it. */
export interface ActivityLedger {
  transactions: { subject: string; seq: number }[];
  deletedTransactionSeqs: number[];
  failedLogins: string[];
}

export interface ActivityOptions {
  /** Transactions published by payments-svc (at least 3). */
  transactions?: number;
  /** A nats-server binary to run a leaf node with; without one no leaf node connects. */
  leafBinary?: string;
  leafDir?: string;
}

async function client(hub: RunningHub, name: string, user: 'app' | 'audit'): Promise<NatsConnection> {
  return connect({ servers: hub.url, name, user, pass: hub.passwords[user] });
}

/**
 * A realistic burst of the activity a SOX report exists for, modelled on ../shared/nats-events: the
 * application's stream set up, transactions, failed logins, an operator's JetStream changes including a
 * deleted record and a purge, refused tampering with the audit stream, and a leaf node coming and going.
 * The capture streams must exist already.
 */
export async function generateActivity(hub: RunningHub, options: ActivityOptions = {}): Promise<ActivityLedger> {
  const n = Math.max(3, options.transactions ?? 6);
  const ledger: ActivityLedger = { transactions: [], deletedTransactionSeqs: [], failedLogins: [] };

  const setup = await client(hub, 'setup-app', 'app');
  const setupJsm = await jetstreamManager(setup);
  await setupJsm.streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'], storage: 'file' as never });
  await setup.close();

  const payments = await client(hub, 'payments-svc', 'app');
  const js = jetstream(payments);
  for (let i = 0; i < n - 1; i++) {
    const subject = i % 3 === 2 ? 'tx.settled' : 'tx.created';
    const ack = await js.publish(subject, JSON.stringify({ id: i, amount: 100 + i, currency: 'USD' }));
    ledger.transactions.push({ subject, seq: ack.seq });
  }
  const last = await js.publish('tx.purgeme', JSON.stringify({ id: n - 1, amount: 1, note: 'entered in error' }));
  ledger.transactions.push({ subject: 'tx.purgeme', seq: last.seq });
  await payments.close();

  for (const [user, pass] of [
    ['app', 'wrong-password'],
    ['mallory', 'guess'],
  ] as const) {
    try {
      const nc = await connect({ servers: hub.url, name: 'bad-login', user, pass, reconnect: false });
      await nc.close();
      throw new Error(`login as ${user} with a wrong password was accepted`);
    } catch (err) {
      if (!(err instanceof AuthorizationError)) throw err;
      ledger.failedLogins.push(user);
    }
  }

  const ops = await client(hub, 'ops-admin', 'app');
  const jsm = await jetstreamManager(ops);
  await jsm.streams.add({ name: 'TEMP', subjects: ['temp.>'] });
  await jsm.streams.update('TEMP', { subjects: ['temp.>', 'temp2.>'] });
  await jsm.consumers.add('TEMP', { durable_name: 'C1', ack_policy: 'explicit' as never });
  await jsm.consumers.delete('TEMP', 'C1');
  await jsm.streams.delete('TEMP');
  const deleted = ledger.transactions[1]!.seq;
  await jsm.streams.deleteMessage('TRANSACTIONS', deleted);
  await jsm.streams.purge('TRANSACTIONS', { filter: 'tx.purgeme' });
  ledger.deletedTransactionSeqs.push(deleted, last.seq);
  await ops.close();

  const tamper = await client(hub, 'tamper-test', 'audit');
  const tjsm = await jetstreamManager(tamper);
  for (const attempt of [() => tjsm.streams.deleteMessage('SYS_EVENTS', 1), () => tjsm.streams.purge('SYS_EVENTS')]) {
    const refused = await attempt().then(
      () => false,
      () => true,
    );
    if (!refused)
      throw new Error('the audit stream allowed tampering: it is not provisioned with deny_delete/deny_purge');
  }
  await tamper.close();

  if (options.leafBinary && options.leafDir) {
    const leaf = await startLeaf(options.leafBinary, options.leafDir, hub);
    await leaf.stop();
  }
  // Disconnect advisories are published asynchronously: let them land in the stream.
  await new Promise((r) => setTimeout(r, 300));
  return ledger;
}
