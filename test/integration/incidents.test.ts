import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../functions/cli/demo.js';
import { natsAlerts } from '../../functions/incidents/alerts.js';
import { connectionIdentity } from '../../functions/incidents/identity.js';
import { incidentId, type Actor, type Detection } from '../../functions/incidents/model.js';
import { recordDetections } from '../../functions/incidents/record.js';
import { IncidentAlreadyResolvedError, IncidentNotFoundError } from '../../functions/errors.js';
import {
  acknowledge,
  ensureIncidentStream,
  incidentLog,
  openIncident,
  readIncidents,
  resolve,
  type IncidentLog,
} from '../../functions/incidents/stream.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { connectSource } from '../../functions/source/connect.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function detection(subject: string, rule = 'brute-force'): Detection {
  return {
    rule,
    severity: 'high',
    subject,
    summary: `repeated failed logins for ${subject}`,
    day: '2026-11-24',
    at: '2026-11-24T14:03:07.000000000Z',
    evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
  };
}

describe.each(NATS_VERSIONS)('incident record on nats-server %s', (version) => {
  let bed: TestBed;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let log: IncidentLog;
  let dir: string;
  let configFile: string;
  // 2.10 says who the connection is; 2.9 has no $SYS.REQ.USER.INFO, so the configuration stands in.
  // nats-server 2.9 answers no USER.INFO: the connection's own CONNZ entry vouches for it there.
  const expectedIdentity = 'AUDIT/audit';

  beforeAll(async () => {
    bed = await startTestBed(version, { provision: false });
    const audit = bed.config.sources[0]!;
    nc = await connectSource(audit.name, audit.nats);
    log = await incidentLog(nc);
    jsm = log.jsm;
    dir = await mkdtemp(path.join(tmpdir(), 'sox-incidents-'));
    configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'archive'))));
  });
  afterAll(async () => {
    await nc?.close();
    await bed?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates the tamper-resistant incident stream once and then finds it in place', async () => {
    // A tiny duplicate window, so the test can outlast it.
    const first = await ensureIncidentStream(jsm, { duplicateWindowMs: 1000 });
    expect(first).toMatchObject({ created: true, plan: { action: 'create' } });
    const { config } = await jsm.streams.info('INCIDENTS');
    expect(config).toMatchObject({
      subjects: ['sox.incidents.>'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
      duplicate_window: 1e9,
    });
    const again = await ensureIncidentStream(jsm, { duplicateWindowMs: 1000 });
    expect(again).toMatchObject({ created: false, plan: { action: 'ok' } });
  });

  it('opens the same detection once, even after the duplicate window has passed', async () => {
    const first = await openIncident(log, detection('alice'));
    expect(first.newly).toBe(true);
    expect(first.newly && first.incident).toMatchObject({
      id: incidentId('brute-force', 'alice', '2026-11-24'),
      status: 'open',
    });
    await sleep(1_500);
    const second = await openIncident(log, detection('alice'));
    expect(second).toEqual({ id: first.id, newly: false });
    const info = await jsm.streams.info('INCIDENTS', { subjects_filter: 'sox.incidents.>' });
    expect(info.state.subjects).toEqual({ [`sox.incidents.${first.id}.opened`]: 1 });
  });

  it('opens one incident when the same detection fires concurrently', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => openIncident(log, detection('carol'))));
    expect(outcomes.filter((o) => o.newly)).toHaveLength(1);
    const info = await jsm.streams.info('INCIDENTS', { subjects_filter: `sox.incidents.${outcomes[0]!.id}.>` });
    expect(info.state.subjects).toEqual({ [`sox.incidents.${outcomes[0]!.id}.opened`]: 1 });
  });

  it('acknowledges and resolves with the connection identity and the name given', async () => {
    const id = incidentId('brute-force', 'alice', '2026-11-24');
    const audit = bed.config.sources[0]!;
    const identity = await connectionIdentity(nc, {
      source: audit.name,
      account: audit.account,
      user: audit.nats.user,
    });
    expect(identity).toBe(expectedIdentity);
    const alice: Actor = { identity, name: 'Alice Smith' };
    const acked = await acknowledge(log, id, alice, 'looking into it');
    expect(acked.event).toMatchObject({ type: 'acknowledged', id, by: alice, note: 'looking into it' });
    const resolved = await resolve(
      log,
      id,
      { identity, name: 'Bob Jones' },
      'password reset; source host was a test runner',
    );
    expect(resolved.event).toMatchObject({ type: 'resolved', by: { identity, name: 'Bob Jones' } });
    expect(resolved.seq).toBeGreaterThan(acked.seq);

    await expect(resolve(log, id, alice, 'again')).rejects.toThrow(IncidentAlreadyResolvedError);
    await expect(resolve(log, id, alice, 'again')).rejects.toThrow(
      /already resolved by Bob Jones \(AUDIT\/audit.*\) at .*password reset/,
    );
    await expect(acknowledge(log, id, alice, null)).rejects.toThrow(/already resolved/);
    const unknown = incidentId('brute-force', 'nobody', '2026-11-24');
    await expect(acknowledge(log, unknown, alice, null)).rejects.toThrow(IncidentNotFoundError);
    await expect(resolve(log, unknown, alice, 'x')).rejects.toThrow(new RegExp(`no incident ${unknown}`));
    await expect(resolve(log, id, alice, '   ')).rejects.toThrow(/needs a note/);
  });

  it('derives every incident from the stream and reports what does not fit', async () => {
    const ghost = incidentId('brute-force', 'ghost', '2026-11-24');
    // Written past the adapter, as a careless or hostile publisher could.
    await log.js.publish(
      `sox.incidents.${ghost}.resolved`,
      JSON.stringify({
        type: 'resolved',
        id: ghost,
        at: new Date().toISOString(),
        by: { identity: 'x', name: null },
        note: 'n',
      }),
    );
    await log.js.publish('sox.incidents.garbage.opened', 'not json');

    const derived = (await readIncidents(log))!;
    const alice = derived.incidents.get(incidentId('brute-force', 'alice', '2026-11-24'))!;
    expect(alice).toMatchObject({
      status: 'resolved',
      acknowledged: { by: { identity: expectedIdentity, name: 'Alice Smith' }, note: 'looking into it' },
      resolved: {
        by: { identity: expectedIdentity, name: 'Bob Jones' },
        note: 'password reset; source host was a test runner',
      },
    });
    expect(alice.history.map((e) => e.event.type)).toEqual(['opened', 'acknowledged', 'resolved']);
    expect(alice.history[2]!.storedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(derived.incidents.get(incidentId('brute-force', 'carol', '2026-11-24'))!.status).toBe('open');
    expect(derived.anomalies.map((a) => a.kind)).toEqual(['unknown-incident', 'unreadable']);
  });

  it('the server refuses to delete or purge incident messages', async () => {
    const before = (await jsm.streams.info('INCIDENTS')).state;
    await expect(jsm.streams.deleteMessage('INCIDENTS', 1)).rejects.toThrow(/delete/i);
    await expect(jsm.streams.deleteMessage('INCIDENTS', 1, false)).rejects.toThrow(/delete/i);
    await expect(jsm.streams.purge('INCIDENTS')).rejects.toThrow(/purge/i);
    await expect(jsm.streams.purge('INCIDENTS', { filter: 'sox.incidents.>' })).rejects.toThrow(/purge/i);
    const after = (await jsm.streams.info('INCIDENTS')).state;
    expect(after).toMatchObject({ messages: before.messages, first_seq: 1, last_seq: before.last_seq });
  });

  it('alerts on a NATS subject exactly once per newly opened incident', async () => {
    const alerts: unknown[] = [];
    const sub = nc.subscribe('sox.alerts.incidents', { callback: (_err, m) => void alerts.push(m.json()) });
    await nc.flush();
    const port = natsAlerts(nc, 'sox.alerts.incidents');
    const dave = detection('dave', 'unknown-user');
    const erin = detection('erin', 'unknown-user');
    const first = await recordDetections(log, [dave, dave, erin, detection('carol')], port);
    expect(first.opened.map((i) => i.subject)).toEqual(['dave', 'erin']);
    expect(first.alreadyOpen).toEqual([
      incidentId('unknown-user', 'dave', '2026-11-24'),
      incidentId('brute-force', 'carol', '2026-11-24'),
    ]);
    const rerun = await recordDetections(log, [dave, erin], port);
    expect(rerun.opened).toEqual([]);
    await nc.flush();
    await sleep(200);
    sub.unsubscribe();
    expect(alerts).toEqual([
      {
        type: 'incident.opened',
        id: incidentId('unknown-user', 'dave', '2026-11-24'),
        rule: 'unknown-user',
        severity: 'high',
        subject: 'dave',
        summary: 'repeated failed logins for dave',
        day: '2026-11-24',
        openedAt: '2026-11-24T14:03:07.000000000Z',
      },
      expect.objectContaining({ id: incidentId('unknown-user', 'erin', '2026-11-24') }),
    ]);
  });

  it('works from the command line: list, show, ack, resolve, with exit codes for bad input', async () => {
    const dave = incidentId('unknown-user', 'dave', '2026-11-24');
    const carol = incidentId('brute-force', 'carol', '2026-11-24');
    const alice = incidentId('brute-force', 'alice', '2026-11-24');

    const list = await soxReport(['incidents', 'list', '--config', configFile]);
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+SEVERITY\s+AGE\s+RULE\s+SUBJECT$/);
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.startsWith(alice))).toMatch(/\sresolved\s+high\s+\d+d\s+brute-force\s+alice$/);
    // The ghost resolve and the garbage written earlier are reported, not hidden.
    expect(list.stderr).toMatch(/warning: 2 event\(s\) of the incident record were not applied/);

    const ack = await soxReport([
      'incidents',
      'ack',
      dave,
      '--by',
      'Dana Scully',
      '--note',
      'calling the app team',
      '--config',
      configFile,
    ]);
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain(`acknowledged ${dave} by Dana Scully [${expectedIdentity}]`);

    const noNote = await soxReport(['incidents', 'resolve', dave, '--by', 'Dana Scully', '--config', configFile]);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toContain('resolve needs --note');
    const noBy = await soxReport(['incidents', 'ack', carol, '--config', configFile]);
    expect(noBy.code).toBe(2);
    expect(noBy.stderr).toContain('ack needs --by NAME');

    const resolved = await soxReport([
      'incidents',
      'resolve',
      dave,
      '--note',
      'a retired service account; removed',
      '--by',
      'Dana Scully',
      '--config',
      configFile,
    ]);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain(`resolved ${dave} by Dana Scully [${expectedIdentity}]`);
    const twice = await soxReport([
      'incidents',
      'resolve',
      dave,
      '--note',
      'again',
      '--by',
      'Fox Mulder',
      '--config',
      configFile,
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already resolved by Dana Scully .* "a retired service account; removed"/);

    const show = await soxReport(['incidents', 'show', dave, '--config', configFile]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`${dave}  RESOLVED`);
    expect(show.stdout).toMatch(/acknowledged by Dana Scully \[.*\]: calling the app team/);
    expect(show.stdout).toMatch(/resolved by Dana Scully \[.*\]: a retired service account; removed/);
    expect(show.stdout.match(/^ {2}#\d+ /gm)).toHaveLength(3);

    const open = await soxReport(['incidents', 'list', '--open', '--json', '--config', configFile]);
    expect(open.code).toBe(0);
    const body = JSON.parse(open.stdout) as {
      recorded: boolean;
      incidents: { id: string; status: string; ageDays: number }[];
    };
    expect(body.recorded).toBe(true);
    expect(body.incidents.map((i) => i.id).sort()).toEqual(
      [carol, incidentId('unknown-user', 'erin', '2026-11-24')].sort(),
    );

    const unknown = await soxReport(['incidents', 'show', incidentId('x', 'y', '2026-01-01'), '--config', configFile]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no incident INC-20260101-x-/);
    const badId = await soxReport(['incidents', 'ack', 'INC-1.>', '--by', 'me', '--config', configFile]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('is not an incident id');

    for (const r of [list, ack, noNote, resolved, twice, show, open, unknown]) {
      expect(r.stdout + r.stderr).not.toContain(bed.hub.passwords.audit);
    }
  });
});

describe('incidents CLI before anything was recorded', () => {
  let bed: TestBed;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    dir = await mkdtemp(path.join(tmpdir(), 'sox-incidents-empty-'));
    configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'archive'))));
  });
  afterAll(async () => {
    await bed?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says no incident has been recorded, and refuses to act on one', async () => {
    const list = await soxReport(['incidents', 'list', '--config', configFile]);
    expect(list).toMatchObject({ code: 0, stdout: 'no incident has been recorded\n' });
    const id = incidentId('brute-force', 'alice', '2026-11-24');
    const show = await soxReport(['incidents', 'show', id, '--config', configFile]);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('no incident has been recorded');
    const resolve = await soxReport(['incidents', 'resolve', id, '--note', 'n', '--by', 'me', '--config', configFile]);
    expect(resolve.code).toBe(2);
    expect(resolve.stderr).toContain(`no incident ${id}: no incident has been recorded`);
  });

  it('fails with exit 1 when the server cannot be reached', async () => {
    const unreachable = path.join(dir, 'unreachable.json');
    await writeFile(
      unreachable,
      JSON.stringify(demoConfig('nats://127.0.0.1:1', bed.hub.passwords, path.join(dir, 'archive'))),
    );
    const list = await soxReport(['incidents', 'list', '--config', unreachable]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('cannot connect to NATS');
    expect(list.stderr).not.toContain(bed.hub.passwords.audit);
  });
});

describe('incidents CLI with names that would rewrite the terminal', () => {
  let bed: TestBed;
  let nc: NatsConnection;
  let dir: string;
  let configFile: string;
  // Reads "admin" on a terminal that honours the right-to-left override; the subject clears the screen.
  const reversed = '\u202Enimda';
  const note = 'looking\u2066 into\u2069 it\u200F\u007F';
  const subject = 'evil\u001b[2J\u202Dresu';
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    const audit = bed.config.sources[0]!;
    nc = await connectSource(audit.name, audit.nats);
    const log = await incidentLog(nc);
    await ensureIncidentStream(log.jsm);
    await openIncident(log, detection(subject, 'unknown-user'));
    dir = await mkdtemp(path.join(tmpdir(), 'sox-incidents-hostile-'));
    configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'archive'))));
  });
  afterAll(async () => {
    await nc?.close();
    await bed?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'shows --by, --note and event-derived values as escapes, ' + 'and JSON that parses to the values as stored',
    async () => {
      const id = incidentId('unknown-user', subject, '2026-11-24');
      const ack = await soxReport(['incidents', 'ack', id, '--by', reversed, '--note', note, '--config', configFile]);
      expect(ack.code).toBe(0);
      expect(ack.stdout).not.toMatch(raw);
      expect(ack.stdout).toMatch(
        new RegExp(
          /^acknowledged INC-\S+ by \\u202Enimda \[AUDIT\/audit\] \(stream seq 2, stored \S+\): /.source +
            /looking\\u2066 into\\u2069 it\\u200F\\u007F\n$/.source,
        ),
      );

      const list = await soxReport(['incidents', 'list', '--config', configFile]);
      expect(list.code).toBe(0);
      expect(list.stdout).not.toMatch(raw);
      expect(list.stdout).toContain('evil\\u001B[2J\\u202Dresu');

      const show = await soxReport(['incidents', 'show', id, '--config', configFile]);
      expect(show.code).toBe(0);
      expect(show.stdout).not.toMatch(raw);
      expect(show.stdout).toContain(
        'acknowledged by \\u202Enimda [AUDIT/audit]: looking\\u2066 into\\u2069 it\\u200F\\u007F',
      );

      for (const args of [
        ['list', '--json'],
        ['show', id, '--json'],
      ]) {
        const json = await soxReport(['incidents', ...args, '--config', configFile]);
        expect(json.code, args.join(' ')).toBe(0);
        expect(json.stdout, args.join(' ')).not.toMatch(raw);
        const body = JSON.parse(json.stdout) as {
          incident?: { subject: string; acknowledged: { by: { name: string }; note: string } };
          incidents?: { subject: string; acknowledged: { by: { name: string }; note: string } }[];
        };
        const incident = body.incident ?? body.incidents![0]!;
        expect(incident.subject).toBe(subject);
        expect(incident.acknowledged.by.name).toBe(reversed);
        expect(incident.acknowledged.note).toBe(note);
      }
    },
  );
});
