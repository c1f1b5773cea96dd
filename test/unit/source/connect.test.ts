import { describe, expect, it } from 'vitest';
import { freePort } from '../../../functions/local/free-port.js';
import { connectSource, connectionOptions, describeServers } from '../../../functions/source/connect.js';

const base = { servers: ['nats://127.0.0.1:4222'], connectTimeoutSeconds: 10 };

describe('connectionOptions', () => {
  it('takes user and password from the configuration', async () => {
    const o = await connectionOptions('audit', { ...base, user: 'audit', pass: 'p' });
    expect([o.user, o.pass, o.token, o.authenticator]).toEqual(['audit', 'p', undefined, undefined]);
    expect(o.name).toBe('sox-report');
  });

  it('lets a secret replace the way the configuration authenticates', async () => {
    const fromSecret = await connectionOptions('audit', { ...base, user: 'audit', pass: 'stale' }, { token: 't0ken' });
    expect([fromSecret.user, fromSecret.pass, fromSecret.token]).toEqual([undefined, undefined, 't0ken']);
    const userPass = await connectionOptions('audit', { ...base, token: 'old' }, { user: 'audit', pass: 'fresh' });
    expect([userPass.user, userPass.pass, userPass.token]).toEqual(['audit', 'fresh', undefined]);
  });

  it('accepts the content of a creds file from a secret, without reading any file', async () => {
    const creds = [
      '-----BEGIN NATS USER JWT-----',
      'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig',
      '------END NATS USER JWT------',
      '',
      '-----BEGIN USER NKEY SEED-----',
      'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4',
      '------END USER NKEY SEED------',
    ].join('\n');
    const o = await connectionOptions('app', { ...base, creds: '/nonexistent/app.creds' }, { creds });
    expect(typeof o.authenticator).toBe('function');
    expect([o.user, o.token]).toEqual([undefined, undefined]);
  });

  it('names the source and the file when a creds file cannot be read, and never a secret', async () => {
    await expect(connectionOptions('app', { ...base, creds: '/nonexistent/app.creds' })).rejects.toThrow(
      /^sources "app": nats.creds: cannot read \/nonexistent\/app.creds/,
    );
  });
});

describe('server URLs as they are shown', () => {
  it('hide the credentials a URL carries', () => {
    expect(
      describeServers(['nats://alice:s3cret@10.0.0.1:4222', 'nats://t0ken@10.0.0.2', 'nats://10.0.0.3:4222']),
    ).toBe('nats://***@10.0.0.1:4222, nats://***@10.0.0.2, nats://10.0.0.3:4222');
  });

  it('in the error of a server that is not there', async () => {
    const port = await freePort();
    const failure = await connectSource('audit', {
      servers: [`nats://alice:s3cret@127.0.0.1:${port}`],
      connectTimeoutSeconds: 2,
    }).then(
      () => new Error('connected to a port nothing listens on'),
      (err: unknown) => err as Error,
    );
    expect(failure.message).toMatch(
      new RegExp(`^cannot connect to NATS for source "audit" at nats://\\*\\*\\*@127\\.0\\.0\\.1:${port}: `),
    );
    expect(failure.message).not.toContain('s3cret');
    expect(failure.message).not.toContain('alice');
  });
});
