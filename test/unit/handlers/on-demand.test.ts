import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/config/load.js';
import { ENV } from '../../../functions/handlers/environment.js';
import { createOnDemandHandler, type OnDemandResult } from '../../../functions/handlers/on-demand.js';
import { InputError } from '../../../functions/errors.js';
import {
  parseOnDemandPayload,
  payloadKeyName,
  periodOfPayload,
  recipientNotAllowed,
} from '../../../functions/handlers/on-demand-payload.js';
import { formatInstant } from '../../../functions/time/nanos.js';
import {
  captureOutput,
  handlerDeps,
  lambdaConfigDocument,
  lambdaContext,
  mockedClients,
  type MockedClients,
} from '../../support/lambda-fakes.js';

const NOW = Date.parse('2026-11-26T15:00:00Z');
const config = parseConfig(lambdaConfigDocument());

let aws: MockedClients;
let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  aws = mockedClients();
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  aws.restore();
});

async function invoke(
  event: unknown,
  env: Record<string, string> = {},
  document = lambdaConfigDocument(),
): Promise<OnDemandResult> {
  const handler = createOnDemandHandler(
    handlerDeps({ [ENV.config]: JSON.stringify(document), ...env }, aws.clients, NOW),
  );
  return handler(event, lambdaContext());
}

async function expectBadInput(
  event: unknown,
  message: string | RegExp,
  env: Record<string, string> = {},
  document?: Record<string, unknown>,
) {
  const result = await invoke(event, env, document);
  expect(result).toEqual({
    ok: false,
    error: {
      code: 'bad-input',
      message: expect.stringMatching(typeof message === 'string' ? exactly(message) : message),
    },
  });
  expect(aws.calls()).toBe(0);
}

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

describe('the on-demand payload', () => {
  it('takes a date: the calendar day in the configured time zone', () => {
    const parsed = parseOnDemandPayload({ date: '2026-11-01' });
    expect(parsed.ok).toBe(true);
    const period = periodOfPayload(parsed.ok ? parsed.value : {}, config, NOW, 31);
    // The day clocks go back in New York: 25 hours.
    expect([formatInstant(period.from), formatInstant(period.to), period.kind, period.date]).toEqual([
      '2026-11-01T04:00:00.000000000Z',
      '2026-11-02T05:00:00.000000000Z',
      'daily',
      '2026-11-01',
    ]);
  });

  it('takes slices: each stream read in that many time slices at once', () => {
    expect(parseOnDemandPayload({ date: '2026-11-01', slices: 4 })).toEqual({
      ok: true,
      value: { date: '2026-11-01', slices: 4 },
    });
    expect(parseOnDemandPayload({ date: '2026-11-01', slices: 64 }).ok).toBe(true);
  });

  it('takes from and to: an ad-hoc period', () => {
    const parsed = parseOnDemandPayload({
      from: '2026-11-20T00:00:00Z',
      to: '2026-11-25T12:30:00-05:00',
      recipients: ['ops@example.com'],
    });
    expect(parsed).toMatchObject({ ok: true, value: { recipients: ['ops@example.com'] } });
    const period = periodOfPayload(parsed.ok ? parsed.value : {}, config, NOW, 31);
    expect([formatInstant(period.from), formatInstant(period.to), period.kind]).toEqual([
      '2026-11-20T00:00:00.000000000Z',
      '2026-11-25T17:30:00.000000000Z',
      'adhoc',
    ]);
  });

  it('without date, from or to (or without any payload) reports the previous day, as the CLI does', () => {
    for (const event of [{}, null, undefined]) {
      const parsed = parseOnDemandPayload(event);
      expect(parsed.ok).toBe(true);
      expect(periodOfPayload(parsed.ok ? parsed.value : {}, config, NOW, 31).date).toBe('2026-11-25');
    }
  });

  it(
    'allows recipients by exact address or by "@domain" ' + '(the domain without regard to case), else only email.to',
    () => {
      const email = { to: ['cfo@example.com'], allowedRecipients: ['auditor@audit-firm.example', '@Example.COM'] };
      expect(
        recipientNotAllowed(['anyone@example.com', 'Someone@EXAMPLE.com', 'auditor@Audit-Firm.example'], email),
      ).toBeNull();
      expect(recipientNotAllowed(['anyone@example.com', 'x@sub.example.com'], email)).toBe('x@sub.example.com');
      expect(recipientNotAllowed(['Auditor@audit-firm.example'], email)).toBe('Auditor@audit-firm.example');
      expect(recipientNotAllowed(['other@audit-firm.example'], email)).toBe('other@audit-firm.example');
      // Without allowedRecipients only the configured addresses: not their domain.
      expect(recipientNotAllowed(['cfo@EXAMPLE.com'], { to: ['cfo@example.com'] })).toBeNull();
      expect(recipientNotAllowed(['ceo@example.com'], { to: ['cfo@example.com'] })).toBe('ceo@example.com');
    },
  );

  it('says what the CLI says, with the payload keys in place of its options', () => {
    expect(new InputError({ field: 'date', notWith: ['from', 'to'] }).worded(payloadKeyName)).toBe(
      'use either "date" or "from"/"to", not both',
    );
    expect(new InputError({ field: 'to', needs: 'from' }).worded(payloadKeyName)).toBe('"to" needs "from"');
    expect(new InputError({ field: 'date', problem: '"x" is not a calendar date' }).worded(payloadKeyName)).toBe(
      '"date": "x" is not a calendar date',
    );
  });
});

describe('the on-demand handler returns bad input, touching no AWS service', () => {
  it('date together with from/to', async () => {
    await expectBadInput(
      { date: '2026-11-20', from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' },
      'use either "date" or "from"/"to", not both',
    );
  });

  it('from without to', async () => {
    await expectBadInput({ from: '2026-11-20T00:00:00Z' }, '"from" needs "to"');
  });

  it('a date that is not one', async () => {
    await expectBadInput({ date: '2026-02-30' }, '"date": "2026-02-30" is not a calendar date');
    await expectBadInput({ date: '26/11/2026' }, '"date": "26/11/2026" is not a date of the form YYYY-MM-DD');
  });

  it('an instant without a zone', async () => {
    await expectBadInput(
      { from: '2026-11-20T00:00:00', to: '2026-11-21T00:00:00Z' },
      /^"from": "2026-11-20T00:00:00" is not an ISO 8601 instant with a zone/,
    );
  });

  it('a 40-day period: the message names the maximum', async () => {
    await expectBadInput(
      { from: '2026-10-01T00:00:00Z', to: '2026-11-10T00:00:00Z' },
      'period: it is longer than the maximum of 31 days',
    );
  });

  it('a period longer than SOX_MAX_PERIOD_DAYS, which overrides report.maxPeriodDays', async () => {
    const document = lambdaConfigDocument({ report: { maxPeriodDays: 60 } });
    await expectBadInput(
      { from: '2026-11-01T00:00:00Z', to: '2026-11-09T00:00:00Z' },
      'period: it is longer than the maximum of 7 days',
      { [ENV.maxPeriodDays]: '7' },
      document,
    );
    await expectBadInput(
      { from: '2026-09-01T00:00:00Z', to: '2026-11-09T00:00:00Z' },
      'period: it is longer than the maximum of 60 days',
      {},
      document,
    );
  });

  it('a period that has not ended', async () => {
    await expectBadInput(
      { date: '2026-11-26' },
      new RegExp(
        /^period: it ends at 2026-11-27T05:00:00\.000000000Z, which is in the future \(now is /.source +
          /2026-11-26T15:00:00\.000000000Z\); a report covers only a finished period$/.source,
      ),
    );
  });

  it('from after to', async () => {
    await expectBadInput(
      { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' },
      /^period: from \(.*\) must be before to/,
    );
  });

  it('an unknown key', async () => {
    await expectBadInput(
      { date: '2026-11-20', period: 'yesterday' },
      'invalid payload (allowed keys: date, from, to, recipients, slices): unknown key "period"',
    );
  });

  it('a payload that is not an object', async () => {
    await expectBadInput('2026-11-20', /^invalid payload \(allowed keys: date, from, to, recipients, slices\): /);
  });

  it('a recipient that is not an email address, or too many of them', async () => {
    await expectBadInput(
      { date: '2026-11-20', recipients: ['cfo@example.com', 'not an address'] },
      'invalid payload (allowed keys: date, from, to, recipients, slices): recipients[1]: must be an email address',
    );
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.com`);
    await expectBadInput({ date: '2026-11-20', recipients: many }, /recipients: must name at most 50 addresses/);
    await expectBadInput({ date: '2026-11-20', recipients: [] }, /recipients: must name at least one address/);
  });

  it('slices that are not a whole number from 1 to 64', async () => {
    for (const slices of [0, 65, 2.5, '4'])
      await expectBadInput(
        { date: '2026-11-20', slices },
        /^invalid payload \(allowed keys: date, from, to, recipients, slices\): slices: /,
      );
    await expectBadInput(
      { date: '2026-11-20', slices: 65 },
      'invalid payload (allowed keys: date, from, to, recipients, slices): slices: must be a whole number from 1 to 64',
    );
  });

  it('recipients when the configuration sends no email', async () => {
    const { email: _email, ...withoutEmail } = lambdaConfigDocument();
    await expectBadInput(
      { date: '2026-11-20', recipients: ['ops@example.com'] },
      /^recipients: the configuration has no "email"/,
      {},
      withoutEmail,
    );
  });

  it(
    'a recipient the configuration does not allow: ' + 'without allowedRecipients, anyone but the configured addresses',
    async () => {
      await expectBadInput(
        { date: '2026-11-20', recipients: ['cfo@example.com', 'attacker@evil.example'] },
        'recipients: attacker@evil.example is not allowed (without email.allowedRecipients only the configured ' +
          'email.to addresses may receive reports)',
      );
      const document = lambdaConfigDocument({
        email: { from: 'reports@example.com', to: ['cfo@example.com'], allowedRecipients: ['@audit-firm.example'] },
      });
      await expectBadInput(
        { date: '2026-11-20', recipients: ['partner@Audit-Firm.example', 'cfo@example.com'] },
        'recipients: cfo@example.com is not allowed (email.allowedRecipients names neither it nor its "@domain")',
        {},
        document,
      );
    },
  );

  it('logs the bad input as a warning with the run id', async () => {
    await invoke({ date: '2026-11-20', extra: 1 });
    const line = output
      .text()
      .split('\n')
      .find((l) => l.includes('"bad input"'));
    expect(JSON.parse(line!)).toMatchObject({
      level: 'WARN',
      message: 'bad input',
      runId: 'req-0001',
      service: 'sox-test',
    });
  });
});

describe('the on-demand handler with good input', () => {
  it('goes on with recipients the configuration allows', async () => {
    const document = lambdaConfigDocument({
      email: { from: 'reports@example.com', to: ['cfo@example.com'], allowedRecipients: ['@audit-firm.example'] },
    });
    aws.mocks.ssm.rejects(new Error('SSM is down'));
    const env = { [ENV.kmsKeyId]: 'alias/sox', [ENV.certificateParameter]: '/sox/cert' };
    // Past every check it builds the ports and meets the failing SSM: the recipients were accepted.
    await expect(
      invoke({ date: '2026-11-20', recipients: ['partner@audit-firm.example'] }, env, document),
    ).rejects.toThrow(/^on-demand report for 2026-11-20 failed: SSM GetParameter/);
  });

  it(
    'goes on to build the ports (here it meets a KMS ' + 'that fails) and throws the failure, naming the period',
    async () => {
      aws.mocks.ssm.rejects(new Error('SSM is down'));
      const env = { [ENV.kmsKeyId]: 'alias/sox', [ENV.certificateParameter]: '/sox/cert' };
      const failure = await invoke({ date: '2026-11-20' }, env).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe(
        'on-demand report for 2026-11-20 failed: SSM GetParameter /sox/cert (named by ' +
          'SOX_SIGNING_CERT_PARAMETER) failed: Error: SSM is down',
      );
      // The failure is counted before it is thrown: no bundle, and how long it took.
      const emf = output
        .text()
        .split('\n')
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l));
      expect(emf).toHaveLength(1);
      expect(emf[0]).toMatchObject({ BundlesArchived: 0, service: 'sox-test' });
      expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('NatsSoxReports');
    },
  );

  it('a bad SOX_MAX_PERIOD_DAYS is the deployment’s fault: thrown, not bad input', async () => {
    await expect(invoke({ date: '2026-11-20' }, { [ENV.maxPeriodDays]: 'a month' })).rejects.toThrow(
      'on-demand report failed: SOX_MAX_PERIOD_DAYS must be a whole number of days from 1 to 3660, not "a month"',
    );
  });
});
