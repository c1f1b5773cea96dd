import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../../functions/config/load.js';
import { InputError } from '../../../functions/errors.js';
import { keyPath } from '../../../functions/text/zod-issue.js';

/** A distinctive value that must never reach an error message. */
const SECRET = 'hunter2-S3CRET-xyzzy-42';
const TOKEN = 'tok-9f8e7d6c5b4a-SECRET';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function valid(): Doc {
  return {
    timezone: 'America/New_York',
    sources: [
      {
        name: 'audit',
        nats: { servers: ['nats://127.0.0.1:4222'], user: 'audit', pass: SECRET },
        streams: [
          { stream: 'SYS_EVENTS', kind: 'system-events' },
          { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP' },
          { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT' },
        ],
      },
      {
        name: 'app',
        nats: { servers: ['nats://127.0.0.1:4222'], token: TOKEN },
        streams: [{ stream: 'TRANSACTIONS', kind: 'transactions' }],
      },
    ],
    archive: './reports',
    email: { from: 'reports@example.com', to: ['cfo@example.com'], outbox: './outbox' },
  };
}

function parseError(doc: unknown, where?: string): InputError {
  try {
    parseConfig(doc, where);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected parseConfig to throw');
}

/** The issue lines of an error: "key: message". */
function issues(err: Error): string[] {
  return err.message
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
}

describe('keyPath', () => {
  it('formats a zod path as a person would look for the key', () => {
    expect(keyPath(['sources', 0, 'nats', 'servers', 1])).toBe('sources[0].nats.servers[1]');
    expect(keyPath(['timezone'])).toBe('timezone');
    expect(keyPath([0, 'a'])).toBe('[0].a');
    expect(keyPath([])).toBe('(top level)');
  });
});

describe('parseConfig', () => {
  it('accepts the documented configuration and fills in defaults', () => {
    const config = parseConfig(valid());
    expect(config).toEqual({
      timezone: 'America/New_York',
      sources: [
        {
          name: 'audit',
          nats: { servers: ['nats://127.0.0.1:4222'], user: 'audit', pass: SECRET, connectTimeoutSeconds: 10 },
          streams: [
            { stream: 'SYS_EVENTS', kind: 'system-events', quiet: false },
            { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP', quiet: false },
            { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT', quiet: false },
          ],
        },
        {
          name: 'app',
          nats: { servers: ['nats://127.0.0.1:4222'], token: TOKEN, connectTimeoutSeconds: 10 },
          streams: [{ stream: 'TRANSACTIONS', kind: 'transactions', quiet: false }],
        },
      ],
      archive: './reports',
      email: { from: 'reports@example.com', to: ['cfo@example.com'], outbox: './outbox' },
      capture: { retentionDays: 400, maxAgeDays: 0, replicas: 1 },
      branding: { title: 'NATS SOX control report', accent: '#1f5f8b' },
      signing: { kind: 'local', dir: './signing' },
      retentionYears: 7,
      incidents: { deadlineDays: 7, integrations: [] },
      review: { stream: 'SOX_ATTESTATIONS', subjectPrefix: 'sox.attestations', deadlineDays: 3, lookbackDays: 14 },
      mirrors: [],
      report: { topN: 50, maxListed: 1000, consumerPrefix: 'sox-report', maxPeriodDays: 31 },
      detection: {
        bruteForce: { failures: 5, windowMinutes: 10 },
        businessHours: { start: '07:00', end: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      },
    });
  });

  it('defaults timezone to UTC and archive to ./reports', () => {
    const config = parseConfig({
      sources: [{ name: 's', nats: { servers: ['127.0.0.1:4222'] }, streams: [{ stream: 'X', kind: 'transactions' }] }],
    });
    expect(config.timezone).toBe('UTC');
    expect(config.archive).toBe('./reports');
    expect(config.email).toBeUndefined();
    expect(config.sources[0]!.nats).toEqual({ servers: ['127.0.0.1:4222'], connectTimeoutSeconds: 10 });
  });

  it('accepts creds, tls, s3 archive and explicit report/capture settings', () => {
    const doc = valid();
    doc.sources[1].nats = {
      servers: ['tls://nats.example.com:4222', 'wss://nats.example.com'],
      creds: '/x/app.creds',
      tls: { ca: 'ca.pem' },
    };
    doc.archive = 's3://bucket/prefix';
    doc.capture = { retentionDays: 30, maxAgeDays: 30, replicas: 3 };
    doc.report = { topN: 5, maxListed: 10, consumerPrefix: 'my_reader', maxPeriodDays: 92 };
    const config = parseConfig(doc);
    expect(config.sources[1]!.nats.tls).toEqual({ ca: 'ca.pem' });
    expect(config.capture).toEqual({ retentionDays: 30, maxAgeDays: 30, replicas: 3 });
    expect(config.report).toEqual({ topN: 5, maxListed: 10, consumerPrefix: 'my_reader', maxPeriodDays: 92 });
    expect(config.archive).toBe('s3://bucket/prefix');
  });

  it('names the place it was read from', () => {
    const doc = valid();
    doc.timezone = 'Mars/Olympus';
    expect(parseError(doc).message.split('\n')[0]).toBe('invalid configuration in configuration:');
    expect(parseError(doc, '/etc/sox.json').message.split('\n')[0]).toBe('invalid configuration in /etc/sox.json:');
  });

  it('names the exact key of a bad server URL', () => {
    const doc = valid();
    doc.sources[0].nats.servers = ['nats://127.0.0.1:4222', 'http://example.com'];
    const err = parseError(doc);
    expect(issues(err)).toEqual(['sources[0].nats.servers[1]: must be a NATS URL such as nats://127.0.0.1:4222']);
  });

  it('names unknown keys and where they are', () => {
    const doc = valid();
    doc.sources[0].nats.password = 'x';
    doc.sources[1].streams[0].retention = 'x';
    doc.extra = 1;
    doc.email.cc = ['a@example.com'];
    const err = parseError(doc);
    expect(issues(err).sort()).toEqual(
      [
        '(top level): unknown key "extra"',
        'sources[0].nats: unknown key "password"',
        'sources[1].streams[0]: unknown key "retention"',
        'email: unknown key "cc"',
      ].sort(),
    );
  });

  it('names two unknown keys in one object', () => {
    const doc = valid();
    doc.sources[0].nats.tls = { ca: 'ca.pem', foo: 1, bar: 2 };
    expect(issues(parseError(doc))).toEqual(['sources[0].nats.tls: unknown keys "foo", "bar"']);
  });

  it('refuses an unknown time zone', () => {
    const doc = valid();
    doc.timezone = 'Europe/Atlantis';
    expect(issues(parseError(doc))).toEqual([
      'timezone: is not a known IANA time zone (for example "America/New_York" or "UTC")',
    ]);
  });

  it('refuses a source name used twice, naming the second', () => {
    const doc = valid();
    doc.sources[1].name = 'audit';
    expect(issues(parseError(doc))).toEqual(['sources[1].name: "audit" is used twice']);
  });

  it('requires pass with user, and user with pass', () => {
    const doc = valid();
    delete doc.sources[0].nats.pass;
    expect(issues(parseError(doc))).toEqual(['sources[0].nats.pass: is required with user']);
    const doc2 = valid();
    delete doc2.sources[0].nats.user;
    expect(issues(parseError(doc2))).toEqual(['sources[0].nats.user: is required with pass']);
  });

  it('refuses more than one way to authenticate', () => {
    const doc = valid();
    doc.sources[0].nats.token = TOKEN;
    expect(issues(parseError(doc))).toEqual(['sources[0].nats: use only one of user/pass, token or creds']);
  });

  it('refuses bad stream entries with their index', () => {
    const doc = valid();
    doc.sources[0].streams[2].stream = 'A.B';
    doc.sources[0].streams[1].kind = 'audit-log';
    expect(issues(parseError(doc))).toEqual([
      'sources[0].streams[1].kind: Invalid option: expected one of "system-events"|"advisories"|"transactions"',
      'sources[0].streams[2].stream: must be a JetStream stream name (no spaces, dots, * or >)',
    ]);
  });

  it('refuses empty lists', () => {
    const doc = valid();
    doc.sources[0].streams = [];
    doc.sources[1].nats.servers = [];
    expect(issues(parseError(doc))).toEqual([
      'sources[0].streams: must list at least one stream',
      'sources[1].nats.servers: must name at least one server',
    ]);
    expect(issues(parseError({ sources: [] }))).toEqual(['sources: must list at least one source']);
  });

  it('refuses a maxAgeDays shorter than retentionDays', () => {
    const doc = valid();
    doc.capture = { retentionDays: 400, maxAgeDays: 30 };
    expect(issues(parseError(doc))).toEqual([
      'capture.maxAgeDays: maxAgeDays must be 0 (no age limit) or at least retentionDays',
    ]);
  });

  it('takes a review section, and refuses a look-back within the deadline and an unknown review source', () => {
    const doc = valid();
    doc.review = { source: 'app', deadlineDays: 5 };
    expect(parseConfig(doc).review).toEqual({
      source: 'app',
      stream: 'SOX_ATTESTATIONS',
      subjectPrefix: 'sox.attestations',
      deadlineDays: 5,
      lookbackDays: 14,
    });
    doc.review = { source: 'nobody', deadlineDays: 14 };
    expect(issues(parseError(doc))).toEqual([
      'review.lookbackDays: must be more than deadlineDays (a report must look back past the deadline)',
      'review.source: "nobody" is not a configured source',
    ]);
  });

  it('refuses bad email addresses', () => {
    const doc = valid();
    doc.email = { from: 'not-an-address', to: ['cfo@example.com', 'nope'] };
    expect(issues(parseError(doc))).toEqual([
      'email.from: must be an email address',
      'email.to[1]: must be an email address',
    ]);
  });

  it('takes email.allowedRecipients: addresses and "@domain" entries, and nothing else', () => {
    const doc = valid();
    doc.email.allowedRecipients = ['auditor@audit-firm.example', '@Example.com'];
    expect(parseConfig(doc).email?.allowedRecipients).toEqual(['auditor@audit-firm.example', '@Example.com']);
    expect(parseConfig(valid()).email?.allowedRecipients).toBeUndefined();
    const bad = valid();
    bad.email.allowedRecipients = ['example.com', '@', '@-bad-.example', 'ok@example.com'];
    const entry = 'must be an email address or "@domain" (for example "@example.com")';
    expect(issues(parseError(bad))).toEqual([0, 1, 2].map((i) => `email.allowedRecipients[${i}]: ${entry}`));
    const empty = valid();
    empty.email.allowedRecipients = [];
    expect(issues(parseError(empty))).toEqual([
      'email.allowedRecipients: must name at least one address or "@domain" (leave it out to allow only "to")',
    ]);
  });

  it('names what a signing configuration lacks, and a bad accent colour', () => {
    const kms = valid();
    kms.signing = { kind: 'kms' };
    expect(issues(parseError(kms))).toEqual([
      'signing.keyId: Invalid input: expected string, received undefined',
      'signing.certFile: Invalid input: expected string, received undefined',
    ]);
    const unknown = valid();
    unknown.signing = { kind: 'hsm' };
    expect(issues(parseError(unknown))).toEqual([
      `signing.kind: Invalid discriminator value. Expected 'local' | 'local-files' | 'kms'`,
    ]);
    const accent = valid();
    accent.branding = { accent: 'red;}</style><script>' };
    expect(issues(parseError(accent))).toEqual(['branding.accent: must be a colour such as "#1f5f8b"']);
  });

  it('refuses a document that is not an object', () => {
    expect(issues(parseError(null))).toEqual(['(top level): Invalid input: expected object, received null']);
    expect(issues(parseError([]))).toEqual(['(top level): Invalid input: expected object, received array']);
  });

  describe('never echoes a password or token', () => {
    const cases: [string, (doc: Doc) => void][] = [
      ['bad server URL', (d) => (d.sources[0].nats.servers = [`nats://audit:${SECRET} @host:4222`])],
      ['secret in a server entry', (d) => (d.sources[0].nats.servers = [SECRET])],
      ['pass of the wrong type (number)', (d) => (d.sources[0].nats.pass = 424242)],
      ['pass as an object', (d) => (d.sources[0].nats.pass = { value: SECRET })],
      ['pass as an array', (d) => (d.sources[0].nats.pass = [SECRET])],
      ['token with user', (d) => (d.sources[0].nats.token = TOKEN)],
      ['token with creds', (d) => (d.sources[1].nats.creds = '/x.creds')],
      ['empty user with a pass', (d) => (d.sources[0].nats.user = '')],
      ['pass without user', (d) => delete d.sources[0].nats.user],
      ['unknown key holding the secret', (d) => (d.sources[0].nats.password = SECRET)],
      ['secret as time zone', (d) => (d.timezone = SECRET)],
      ['secret as stream kind', (d) => (d.sources[0].streams[0].kind = SECRET)],
      ['secret as stream name', (d) => (d.sources[0].streams[0].stream = `${SECRET} x`)],
      ['secret as source name', (d) => (d.sources[0].name = `${SECRET}!`)],
      ['secret as email', (d) => (d.email = { from: SECRET, to: [TOKEN] })],
      ['secret as tls ca (wrong type elsewhere)', (d) => (d.sources[0].nats.tls = { ca: SECRET, key: 1 })],
      ['connectTimeoutSeconds is the secret', (d) => (d.sources[0].nats.connectTimeoutSeconds = SECRET)],
      ['secret as archive of the wrong type', (d) => (d.archive = { path: SECRET })],
      ['secret as consumerPrefix', (d) => (d.report = { consumerPrefix: `${SECRET}/` })],
      ['token empty alongside pass', (d) => (d.sources[0].nats.token = '')],
      ['duplicate sources holding secrets', (d) => d.sources.push(structuredClone(d.sources[0]))],
      [
        'many errors at once',
        (d) => {
          d.timezone = 'X/Y';
          d.sources[0].nats.servers = ['bad'];
          d.sources[1].nats.token = 12;
          d.sources[1].nats.pass = TOKEN;
        },
      ],
    ];
    it.each(cases)('%s', (_label, mutate) => {
      const doc = valid();
      mutate(doc);
      const err = parseError(doc);
      expect(issues(err).length).toBeGreaterThan(0);
      expect(err.message).not.toContain(SECRET);
      expect(err.message).not.toContain(TOKEN);
      expect(err.message).not.toContain('424242');
      expect(err.message).not.toContain('hunter2');
      expect(String(err.stack)).not.toContain(SECRET);
    });
  });
});

describe('the detection block', () => {
  const withDetection = (detection: unknown) => ({ ...valid(), detection });

  it('takes thresholds and business hours, filling in what is left out', () => {
    const config = parseConfig(
      withDetection({ bruteForce: { failures: 3 }, businessHours: { start: '08:30', days: ['sat', 'sun'] } }),
    );
    expect(config.detection).toEqual({
      bruteForce: { failures: 3, windowMinutes: 10 },
      businessHours: { start: '08:30', end: '19:00', days: ['sat', 'sun'] },
    });
    expect(
      parseConfig(withDetection({ businessHours: { start: '00:00', end: '24:00' } })).detection.businessHours.end,
    ).toBe('24:00');
  });

  it('gives every configuration its own defaults', () => {
    const a = parseConfig(valid());
    a.detection.businessHours.days.push('sun');
    expect(parseConfig(valid()).detection.businessHours.days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
  });

  it.each([
    [
      { businessHours: { start: '8:00' } },
      'detection.businessHours.start: must be a time of day such as "08:00" (24-hour HH:MM)',
    ],
    [
      { businessHours: { end: '19:60' } },
      'detection.businessHours.end: must be a time of day such as "08:00" (24-hour HH:MM)',
    ],
    [
      { businessHours: { start: '24:00' } },
      'detection.businessHours.start: must be a time of day such as "08:00" (24-hour HH:MM)',
    ],
    [
      { businessHours: { start: '19:00', end: '07:00' } },
      'detection.businessHours.start: must be before end: business hours lie within one day',
    ],
    [
      { businessHours: { days: ['monday'] } },
      'detection.businessHours.days[0]: must be one of mon, tue, wed, thu, fri, sat, sun',
    ],
    [{ businessHours: { days: ['mon', 'mon'] } }, 'detection.businessHours.days: must not name a day twice'],
    [
      { businessHours: { days: [] } },
      'detection.businessHours.days: must name at least one day (to treat no hour as off-hours, ' +
        'name every day from "00:00" to "24:00")',
    ],
    [{ bruteForce: { failures: 1 } }, 'detection.bruteForce.failures: must be at least 2 (one failed login is a typo)'],
    [{ bruteForce: { windowMinutes: 0 } }, expect.stringMatching(/^detection\.bruteForce\.windowMinutes: /)],
    [{ bruteForce: { windowMinutes: 2000 } }, 'detection.bruteForce.windowMinutes: must be at most 1440 (one day)'],
    [{ rules: [] }, expect.stringMatching(/^detection: .*"rules"/)],
  ])('refuses %j with a message naming the key', (detection, message) => {
    expect(issues(parseError(withDetection(detection)))).toEqual([message]);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sox-config-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads and validates a file', async () => {
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify(valid()));
    const config = await loadConfigFile(file);
    expect(config.sources.map((s) => s.name)).toEqual(['audit', 'app']);
    expect(config.report.consumerPrefix).toBe('sox-report');
  });

  it('refuses a missing file with an InputError naming it', async () => {
    const file = join(dir, 'does-not-exist.json');
    const err = await loadConfigFile(file).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toMatch(
      new RegExp(`^cannot read configuration file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    expect(err!.message).toContain('ENOENT');
  });

  it('refuses invalid JSON with an InputError naming the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "timezone": "UTC", }');
    const err = await loadConfigFile(file).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toBe(`configuration file ${file} is not valid JSON (near line 1)`);
  });

  it('names the file in a validation error', async () => {
    const file = join(dir, 'invalid.json');
    const doc = valid();
    doc.timezone = 'Nowhere/Zone';
    await writeFile(file, JSON.stringify(doc));
    const err = await loadConfigFile(file).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toBe(
      `invalid configuration in ${file}:\n  timezone: is not a known IANA time zone (for example ` +
        '"America/New_York" or "UTC")',
    );
    expect(err!.message).not.toContain(SECRET);
  });

  // V8's JSON.parse message quotes the text around the error, so a password written without quotes would be
  // printed if the message were passed on.
  const unquotedPw = 'zQ7!kW';
  const unquoted = `{"sources":[{"name":"a","nats":{"servers":["nats://h:4222"],"user":"u","pass":${unquotedPw}}}]}`;

  it('refuses a file whose password is not quoted, as invalid JSON naming the file', async () => {
    const file = join(dir, 'unquoted-pass-1.json');
    await writeFile(file, unquoted);
    const err = await loadConfigFile(file).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toBe(`configuration file ${file} is not valid JSON (near line 1)`);
  });

  it('does not echo a password from a file that is not valid JSON', async () => {
    const file = join(dir, 'unquoted-pass-2.json');
    await writeFile(file, unquoted);
    const message = await loadConfigFile(file).then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    expect(message).not.toContain(unquotedPw);
  });
});
