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

/** One connection of `user` with its creds file, named `name`, for `work`; closed after it. */
async function as<T>(
  hub: RunningOperatorHub,
  user: OperatorUserName,
  name: string,
  work: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const creds = await readFile(hub.layout.creds[user]);
  const nc = await connect({ servers: hub.url, name, authenticator: credsAuthenticator(creds), reconnect: false });
  try {
    return await work(nc);
  } finally {
    await nc.close();
  }
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

  await as(hub, 'alice', 'alice-setup', async (nc) => {
    await (await jetstreamManager(nc)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
  });

  await as(hub, 'app', 'payments-svc', async (nc) => {
    const js = jetstream(nc);
    for (let i = 0; i < n; i++) {
      const subject = i % 2 ? 'tx.settled' : 'tx.created';
      const ack = await js.publish(subject, JSON.stringify({ id: i, amount: 100 + i, currency: 'USD' }));
      ledger.transactions.push({ subject, seq: ack.seq });
    }
  });

  await as(hub, 'bob', 'bob-cli', async (nc) => void (await (await jetstreamManager(nc)).getAccountInfo()));

  await as(hub, 'alice', 'alice-cli', async (nc) => {
    await (await jetstreamManager(nc)).streams.add({ name: 'SCRATCH', subjects: ['scratch.>'] });
  });
  await as(
    hub,
    'alice',
    'alice-cli',
    async (nc) => void (await (await jetstreamManager(nc)).streams.delete('SCRATCH')),
  );

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

  await as(hub, 'admin', 'admin-cli', async (nc) => {
    await (await jetstreamManager(nc)).streams.add({ name: 'AUDIT_TMP', subjects: ['audit-tmp.>'] });
  });
  await as(
    hub,
    'admin',
    'admin-cli',
    async (nc) => void (await (await jetstreamManager(nc)).streams.delete('AUDIT_TMP')),
  );

  // Disconnect events are published asynchronously: let them land in the stream.
  await new Promise((r) => setTimeout(r, 300));
  return ledger;
}
