import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { connectSource } from '../../functions/source/connect.js';
import { connectWithin } from '../../functions/source/nats-steps.js';
import { readingAccount } from '../../functions/source/provision.js';
import { sysRequest } from '../../functions/source/sys-request.js';
import { startTestBed, type TestBed } from '../support/hub.js';

describe.each(NATS_VERSIONS)("the system account's information requests on nats-server %s", (version) => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed(version, { provision: false });
  }, 60_000);
  afterAll(async () => bed?.close());

  const open = () => {
    const audit = bed.config.sources[0]!;
    return connectWithin(audit, (s) => connectSource(s.name, s.nats));
  };

  it('answers, or says at once that nothing can answer (no waiting, no retry)', async () => {
    const nc = await open();
    const varz = await sysRequest(nc, '$SYS.REQ.SERVER.PING.VARZ');
    expect(varz!.json<{ data: { version: string } }>().data.version).toBe(version);
    const started = Date.now();
    // Not imported into AUDIT: nothing can answer, and that is no answer rather than an outage to wait out.
    expect(await sysRequest(nc, '$SYS.REQ.SERVER.PING.HEALTHZ')).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
    await nc.close();
  });

  it("tells provision the reading user's account, USER.INFO or not (2.9 answers none)", async () => {
    const nc = await open();
    expect(await readingAccount(nc)).toBe('AUDIT');
    await nc.close();
  });

  it('waits for a server that went away and asks again once it is back', async () => {
    const nc = await open();
    await bed.hub.stop();
    const restarted = new Promise<void>((resolve, reject) =>
      setTimeout(() => bed.hub.start().then(resolve, reject), 1_500),
    );
    const info = await sysRequest(nc, '$SYS.REQ.ACCOUNT.APP.INFO');
    await restarted;
    expect(info!.json<{ data: { account_name: string } }>().data.account_name).toBe('APP');
    await nc.close();
  }, 60_000);
});
