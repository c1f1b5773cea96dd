import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserSeen } from '../../functions/access/derive.js';
import type { AccessAnswer, RecordedAccess } from '../../functions/access/model.js';
import type { NatsVersion } from '../../functions/local/nats-binaries.js';

/** What scripts/capture-access-fixtures.ts recorded from a real nats-server (keys and times differ each capture). */
export interface AccessFixture {
  layout: 'hub' | 'operator';
  version: NatsVersion;
  /** Operator mode: the operator's, the accounts' and the users' public keys. */
  operatorKey?: string;
  accounts?: Record<'SYS' | 'APP' | 'AUDIT', string>;
  users?: Record<'sys' | 'app' | 'alice' | 'bob' | 'audit' | 'admin', string>;
  recorded: RecordedAccess;
  /** The `$SYS.ACCOUNT.<acc>.CONNECT` events published while the users connected, as sent. */
  connects: { subject: string; data: ConnectEvent }[];
}

export interface ConnectEvent {
  timestamp: string;
  client: { acc: string; user: string; name_tag?: string; jwt?: string; issuer_key?: string };
}

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'access');

export function accessFixture(layout: 'hub' | 'operator', version: NatsVersion): AccessFixture {
  return JSON.parse(readFileSync(path.join(DIR, `${layout}-${version}.json`), 'utf8')) as AccessFixture;
}

/** The users the fixture's connect events show, as the pipeline hands them to deriveAccess. */
export function usersSeen(fixture: AccessFixture): UserSeen[] {
  return fixture.connects.map(({ data: { timestamp, client } }) => ({
    account: client.acc,
    user: client.user,
    ...(client.name_tag ? { userName: client.name_tag } : {}),
    ...(client.jwt ? { jwt: { token: client.jwt, seenAt: timestamp } } : {}),
  }));
}

/** The fixture's successful answers to one request. */
export function answersTo(fixture: AccessFixture, request: AccessAnswer['request']): AccessAnswer[] {
  return fixture.recorded.answers.filter((a) => a.request === request && a.error === null);
}

/** The ACCOUNT.<acc>.INFO answer's data of one account. */
export function accountInfo(fixture: AccessFixture, account: string): Record<string, unknown> {
  const answer = answersTo(fixture, 'account-info').find(
    (a) => (a.data as { account_name?: string }).account_name === account,
  );
  if (!answer) throw new Error(`the fixture has no INFO of account ${account}`);
  return answer.data as Record<string, unknown>;
}
