import { decode, encodeAccount, newScopedSigner } from '@nats-io/jwt';
import { createAccount, createOperator } from '@nats-io/nkeys';
import type { AccessAnswer, RecordedAccess } from '../../functions/access/model.js';

/** The payload of a JWT, unverified. */
export function jwtPayload(token: string): Record<string, unknown> & { iat: number; nats: Record<string, unknown> } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The token with its payload edited and re-encoded, its signature kept: what a forger can do without the key. */
export function tampered(token: string, edit: (payload: Record<string, unknown>) => void): string {
  const [header, , signature] = token.split('.');
  const payload = jwtPayload(token);
  edit(payload);
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

/** JWT seconds as the access section states times (RFC 3339, whole seconds). */
export const jwtTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** An operator-mode account whose JWT carries a scoped signing key, default permissions and revocations. */
export async function jwtAccount(revocations: Record<string, number>) {
  const operator = createOperator();
  const account = createAccount();
  const signer = createAccount();
  const template = { pub: { allow: ['tx.>'] }, sub: { allow: ['_INBOX.>'] } };
  const accountJwt = await encodeAccount(
    'APP',
    account,
    {
      signing_keys: [newScopedSigner(signer, 'writer', template)],
      default_permissions: { pub: { allow: ['app.>'] }, sub: { allow: ['_INBOX.>'] } },
      revocations,
    },
    { signer: operator },
  );
  const info: AccessAnswer = {
    request: 'account-info',
    subject: `$SYS.REQ.ACCOUNT.${account.getPublicKey()}.INFO`,
    server: { name: 'n1', id: 'N1', version: '2.10.27' },
    data: {
      account_name: account.getPublicKey(),
      name_tag: 'APP',
      jetstream_enabled: true,
      decoded_jwt: decode(accountJwt),
    },
    error: null,
  };
  const recorded: RecordedAccess = {
    collectedAt: '2026-12-01T05:00:00Z',
    source: 'audit',
    answers: [info],
    omitted: [],
  };
  return { operator, account, signer, recorded };
}
