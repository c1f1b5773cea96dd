import { describe, expect, it } from 'vitest';
import { encodeUser } from '@nats-io/jwt';
import { createAccount, createUser } from '@nats-io/nkeys';
import { userClaims } from '../../../functions/access/user-jwt.js';
import { NATS_VERSIONS } from '../../../functions/local/nats-binaries.js';
import { accessFixture } from '../../support/access-fixtures.js';
import { jwtPayload as payloadOf, jwtTime as iso, tampered } from '../../support/access-jwts.js';

describe('userClaims', () => {
  it('reads a user JWT signed by its account, with its expiry and permissions, the signature holding', async () => {
    const account = createAccount();
    const user = createUser();
    const exp = Math.floor(Date.now() / 1000) + 86_400;
    const token = await encodeUser(
      'alice',
      user,
      account,
      { pub: { allow: ['tx.>'] }, sub: { allow: ['_INBOX.>'] } },
      { exp },
    );
    const claims = userClaims(token)!;
    expect(claims).toEqual({
      issuer: account.getPublicKey(),
      issuerAccount: null,
      issuedAt: iso(payloadOf(token).iat),
      expires: iso(exp),
      nats: payloadOf(token).nats,
      signatureValid: true,
    });
    expect(claims.nats).toMatchObject({ pub: { allow: ['tx.>'] }, sub: { allow: ['_INBOX.>'] }, type: 'user' });
  });

  it('a JWT without expiry says none', async () => {
    const token = await encodeUser('bob', createUser(), createAccount());
    expect(userClaims(token)).toMatchObject({ expires: null, signatureValid: true });
  });

  it('a payload edited after signing is read but not trusted: signatureValid false', async () => {
    const account = createAccount();
    const token = await encodeUser('carol', createUser(), account, { pub: { allow: ['tx.>'] } });
    const forged = tampered(token, (p) => {
      (p.nats as { pub: unknown }).pub = { allow: ['>'] };
    });
    const claims = userClaims(forged)!;
    expect(claims.signatureValid).toBe(false);
    expect(claims.issuer).toBe(account.getPublicKey());
    expect(claims.nats.pub).toEqual({ allow: ['>'] });
    // The signature of another token does not hold either.
    const other = await encodeUser('dave', createUser(), account);
    expect(userClaims(`${token.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`)!.signatureValid).toBe(false);
  });

  it('a JWT issued by a signing key names the key as issuer and the account as issuer_account', async () => {
    const account = createAccount();
    const signer = createAccount();
    const token = await encodeUser('erin', createUser(), account.getPublicKey(), {}, { signer, scopedUser: true });
    expect(userClaims(token)).toMatchObject({
      issuer: signer.getPublicKey(),
      issuerAccount: account.getPublicKey(),
      signatureValid: true,
    });
  });

  it('what is not a user JWT is none, never thrown on', () => {
    const notJson = Buffer.from('{nope').toString('base64url');
    const noNats = Buffer.from(JSON.stringify({ iss: 'A', iat: 1 })).toString('base64url');
    for (const token of ['', 'garbage', 'a.b', `x.${notJson}.y`, `x.${noNats}.y`, '...', 'e30.e30.e30'])
      expect(userClaims(token)).toBeNull();
    const odd = Buffer.from(JSON.stringify({ iss: 7, iat: 'x', exp: 1e300, nats: { issuer_account: 3 } })).toString(
      'base64url',
    );
    expect(userClaims(`e30.${odd}.sig`)).toEqual({
      issuer: '',
      issuerAccount: null,
      issuedAt: null,
      expires: null,
      nats: { issuer_account: 3 },
      signatureValid: false,
    });
  });

  it.each(NATS_VERSIONS)('reads the JWTs real CONNECT events carried on nats-server %s', (version) => {
    const f = accessFixture('operator', version);
    expect(f.connects.map((c) => c.data.client.name_tag).sort()).toEqual(['admin', 'alice', 'app', 'audit', 'bob']);
    for (const { subject, data } of f.connects) {
      const claims = userClaims(data.client.jwt!)!;
      expect(subject).toBe(`$SYS.ACCOUNT.${data.client.acc}.CONNECT`);
      expect(claims).toMatchObject({
        issuer: data.client.acc,
        issuerAccount: null,
        expires: null,
        signatureValid: true,
      });
      expect(claims.issuer).toBe(data.client.issuer_key);
      expect(payloadOf(data.client.jwt!).sub).toBe(data.client.user);
    }
  });
});
