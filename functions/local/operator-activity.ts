import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { fmtCreds } from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import type { OperatorUserName, RunningOperatorHub } from './operator-hub.js';

/** What the operator-mode scenario did, so a test can hold the report to it. */
export interface OperatorLedger {
  transactions: { subject: string; seq: number }[];
  /** Logins refused: alice's JWT presented with a key that is not hers. */
  failedLogins: number;
}

/** How many times the scenario presents a copy of alice's JWT without her seed: a brute-force (5 by default). */
export const OPERATOR_FAILED_LOGINS = 5;

async function client(hub: RunningOperatorHub, user: OperatorUserName, name: string): Promise<NatsConnection> {
  const creds = await readFile(hub.layout.creds[user]);
  return connect({ servers: hub.url, name, authenticator: credsAuthenticator(creds), reconnect: false });
}

/**
 * A small known day on the operator-mode layout, every login with a creds file: alice (APP) sets up the
 * TRANSACTIONS stream, payments-svc (user app) publishes `transactions` to it, bob looks at the account, alice
 * creates stream SCRATCH and, in a third connection, deletes it; someone holding a copy of alice's JWT but not her
 * seed tries to log in with it 5 times (refused), and the administrator `admin` (AUDIT) creates stream AUDIT_TMP
 * and deletes it. alice connects 3 times, admin twice, bob and app once.
 */
export async function generateOperatorActivity(
  hub: RunningOperatorHub,
  options: { transactions?: number } = {},
): Promise<OperatorLedger> {
  const n = options.transactions ?? 5;
  const ledger: OperatorLedger = { transactions: [], failedLogins: 0 };

  const setup = await client(hub, 'alice', 'alice-setup');
  await (await jetstreamManager(setup)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
  await setup.close();

  const payments = await client(hub, 'app', 'payments-svc');
  const js = jetstream(payments);
  for (let i = 0; i < n; i++) {
    const subject = i % 2 ? 'tx.settled' : 'tx.created';
    const ack = await js.publish(subject, JSON.stringify({ id: i, amount: 100 + i, currency: 'USD' }));
    ledger.transactions.push({ subject, seq: ack.seq });
  }
  await payments.close();

  const bob = await client(hub, 'bob', 'bob-cli');
  await (await jetstreamManager(bob)).getAccountInfo();
  await bob.close();

  const create = await client(hub, 'alice', 'alice-cli');
  await (await jetstreamManager(create)).streams.add({ name: 'SCRATCH', subjects: ['scratch.>'] });
  await create.close();

  const remove = await client(hub, 'alice', 'alice-cli');
  await (await jetstreamManager(remove)).streams.delete('SCRATCH');
  await remove.close();

  // alice's JWT (it is no secret) signed for with a key of the guesser's own: the server refuses each login.
  const jwt = (await readFile(hub.layout.creds.alice, 'utf8')).split('\n').find((line) => line.startsWith('eyJ'))!;
  for (let i = 0; i < OPERATOR_FAILED_LOGINS; i++) {
    const copied = fmtCreds(jwt, createUser());
    const refused = await connect({
      servers: hub.url,
      name: 'guesser',
      authenticator: credsAuthenticator(copied),
      reconnect: false,
    })
      .then((nc) => nc.close().then(() => false))
      .catch(() => true);
    if (refused) ledger.failedLogins += 1;
  }

  const admin = await client(hub, 'admin', 'admin-cli');
  await (await jetstreamManager(admin)).streams.add({ name: 'AUDIT_TMP', subjects: ['audit-tmp.>'] });
  await admin.close();
  const cleanup = await client(hub, 'admin', 'admin-cli');
  await (await jetstreamManager(cleanup)).streams.delete('AUDIT_TMP');
  await cleanup.close();

  // Disconnect events are published asynchronously: let them land in the stream.
  await new Promise((r) => setTimeout(r, 300));
  return ledger;
}
