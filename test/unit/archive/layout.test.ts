import { describe, expect, it } from 'vitest';
import {
  adhocBundlePath,
  adhocStartDay,
  ARTIFACTS,
  bundlePath,
  dailyBundlePath,
  dateOfDailyBundle,
  dayBefore,
  daysOfRollupBundle,
  intentFileName,
  isEvidenceFile,
  isIntentFile,
  isLayoutFolder,
  keyOfKeyPath,
  keyPathOf,
  keyPathOfManifest,
  MANIFEST_SCHEMA,
  MANIFEST_SCHEMA_V1,
  placeOfEntry,
  receiptPath,
  rollupBundlePath,
} from '../../../functions/archive/layout.js';
import { adhocPeriod, dailyPeriod, rollupPeriod } from '../../../functions/config/period.js';

const KEY = 'a'.repeat(64);
const CERT = 'b'.repeat(64);

describe('bundlePath', () => {
  it('places a daily bundle under daily/YYYY/MM/DD', () => {
    expect(bundlePath(dailyPeriod('2026-11-26', 'America/New_York'))).toBe('daily/2026/11/26');
    expect(bundlePath(dailyPeriod('2026-03-08', 'UTC'))).toBe('daily/2026/03/08');
  });

  it('places an ad-hoc bundle under adhoc/<from>_<to> in compact UTC, trimming trailing zeros', () => {
    expect(bundlePath(adhocPeriod('2026-11-26T05:00:00Z', '2026-11-27T05:00:00Z', 'UTC'))).toBe(
      'adhoc/20261126T050000Z_20261127T050000Z',
    );
    expect(bundlePath(adhocPeriod('2026-11-26T05:00:00.123456789Z', '2026-11-27T07:00:00.5+02:00', 'UTC'))).toBe(
      'adhoc/20261126T050000.123456789Z_20261127T050000.5Z',
    );
    expect(bundlePath(adhocPeriod('2026-11-26T05:00:00.000000100Z', '2026-11-26T06:00:00Z', 'UTC'))).toBe(
      'adhoc/20261126T050000.0000001Z_20261126T060000Z',
    );
  });

  it('treats a daily period without a date as ad-hoc', () => {
    const { date: _date, ...rest } = dailyPeriod('2026-11-26', 'UTC');
    expect(bundlePath(rest)).toBe('adhoc/20261126T000000Z_20261127T000000Z');
    expect(bundlePath(rest)).toBe(adhocBundlePath(rest.from, rest.to));
  });
});

describe('daily bundles, both ways', () => {
  it('reads the date back from the path it wrote', () => {
    for (const date of ['2026-11-26', '2024-02-29', '1999-12-31'])
      expect(dateOfDailyBundle(dailyBundlePath(date))).toBe(date);
  });

  it('reads no date from what is not a daily bundle folder', () => {
    for (const path of [
      'daily/2026/11',
      'daily/2026/11/26/manifest.json',
      'adhoc/20261126T050000Z_20261127T050000Z',
      'daily/26/11/26',
      '',
    ]) {
      expect(dateOfDailyBundle(path), path).toBeNull();
    }
  });

  it('spells the date as the path does, calendar day or not (verify names a folder of no calendar day)', () => {
    expect(dateOfDailyBundle('daily/2026/02/30')).toBe('2026-02-30');
  });

  it('steps back one calendar day across months, years and leap days', () => {
    expect(dayBefore('2026-11-26')).toBe('2026-11-25');
    expect(dayBefore('2026-03-01')).toBe('2026-02-28');
    expect(dayBefore('2028-03-01')).toBe('2028-02-29');
    expect(dayBefore('2027-01-01')).toBe('2026-12-31');
  });
});

describe('ad-hoc bundles, both ways', () => {
  it('reads the UTC start day back from the path it wrote', () => {
    const period = adhocPeriod('2026-11-26T23:30:00-05:00', '2026-11-28T00:00:00Z', 'UTC');
    expect(adhocStartDay(bundlePath(period))).toBe('2026-11-27');
  });

  it('reads no day from a folder that names none', () => {
    expect(adhocStartDay('adhoc/mine')).toBeNull();
    expect(adhocStartDay('daily/2026/11/26')).toBeNull();
  });
});

describe('placeOfEntry', () => {
  it('names the bundle and the file inside it', () => {
    expect(placeOfEntry('daily/2026/11/26/manifest.json')).toEqual({
      kind: 'daily',
      bundle: 'daily/2026/11/26',
      date: '2026-11-26',
      name: 'manifest.json',
    });
    expect(placeOfEntry('adhoc/20261126T050000Z_20261127T050000Z/report.pdf')).toEqual({
      kind: 'adhoc',
      bundle: 'adhoc/20261126T050000Z_20261127T050000Z',
      date: null,
      name: 'report.pdf',
    });
  });

  it('names the bundle folder itself with no name inside', () => {
    expect(placeOfEntry('daily/2026/11/26')).toEqual({
      kind: 'daily',
      bundle: 'daily/2026/11/26',
      date: '2026-11-26',
      name: undefined,
    });
    expect(placeOfEntry('adhoc/x')).toEqual({ kind: 'adhoc', bundle: 'adhoc/x', date: null, name: undefined });
  });

  it('places nothing outside a bundle folder', () => {
    for (const path of [
      'daily',
      'daily/2026',
      'daily/2026/11',
      'daily/2026/11/stray.json',
      'adhoc',
      'keys/x.pem',
      'receipts/daily/2026/11/26/email-1.json',
    ]) {
      expect(placeOfEntry(path), path).toBeNull();
    }
  });

  it('places every file a bundle is written with in that bundle', () => {
    const bundle = dailyBundlePath('2026-11-26');
    for (const name of [
      ...ARTIFACTS,
      'manifest.json',
      'manifest.json.sig',
      'evidence.jsonl.gz',
      intentFileName('20261127T030000123Z-0a1b2c3d'),
    ]) {
      expect(placeOfEntry(`${bundle}/${name}`)).toMatchObject({ bundle, name });
    }
  });

  it('places a rollup bundle at rollup/<first>_<last>, both ways', () => {
    const period = rollupPeriod({ month: '2026-11' }, 'America/New_York');
    expect(bundlePath(period)).toBe('rollup/2026-11-01_2026-11-30');
    expect(rollupBundlePath('2026-10-01', '2026-12-31')).toBe('rollup/2026-10-01_2026-12-31');
    expect(daysOfRollupBundle('rollup/2026-10-01_2026-12-31')).toEqual({ first: '2026-10-01', last: '2026-12-31' });
    expect(daysOfRollupBundle('rollup/2026-10-01')).toBeNull();
    expect(placeOfEntry('rollup/2026-11-01_2026-11-30/report.pdf')).toEqual({
      kind: 'rollup',
      bundle: 'rollup/2026-11-01_2026-11-30',
      date: null,
      name: 'report.pdf',
    });
    expect(placeOfEntry('rollup')).toBeNull();
    expect(isLayoutFolder('rollup')).toBe(true);
    expect(isLayoutFolder('rollup/2026-11-01_2026-11-30')).toBe(false);
  });

  it('knows the layout folders above the bundles', () => {
    for (const path of ['daily', 'daily/2026', 'daily/2026/11', 'adhoc', 'keys'])
      expect(isLayoutFolder(path), path).toBe(true);
    for (const path of ['daily/2026/11/26', 'receipts', 'adhoc/x', 'keys/x.pem'])
      expect(isLayoutFolder(path), path).toBe(false);
  });
});

describe('key files, both ways', () => {
  it('names one file per certificate and reads both hashes back', () => {
    expect(keyPathOf(KEY, CERT)).toBe(`keys/${KEY}-${CERT}.pem`);
    expect(keyOfKeyPath(keyPathOf(KEY, CERT))).toEqual({ publicKeySha256: KEY, certificateSha256: CERT });
  });

  it('names a v1 manifest key file by its key alone', () => {
    const signer = { publicKeySha256: KEY, certificateSha256: CERT };
    expect(keyPathOfManifest({ schema: MANIFEST_SCHEMA, signer })).toBe(keyPathOf(KEY, CERT));
    expect(keyPathOfManifest({ schema: MANIFEST_SCHEMA_V1, signer })).toBe(`keys/${KEY}.pem`);
    expect(keyOfKeyPath(keyPathOfManifest({ schema: MANIFEST_SCHEMA_V1, signer }))).toEqual({
      publicKeySha256: KEY,
      certificateSha256: null,
    });
  });

  it('reads no key from other names', () => {
    for (const path of [
      `keys/${KEY.toUpperCase()}.pem`,
      `keys/${KEY}.crt`,
      `other/${KEY}.pem`,
      `keys/${KEY.slice(1)}.pem`,
      `keys/${KEY}-${CERT}-x.pem`,
    ]) {
      expect(keyOfKeyPath(path), path).toBeNull();
    }
  });
});

describe('file names', () => {
  it('tells intents and evidence files by their names', () => {
    expect(isIntentFile(intentFileName('20261127T030000123Z-0a1b2c3d'))).toBe(true);
    expect(isIntentFile('intent-../x.json')).toBe(false);
    expect(isIntentFile('report.json')).toBe(false);
    expect(isEvidenceFile('evidence.jsonl.gz')).toBe(true);
    expect(isEvidenceFile('sub/more-evidence.jsonl.gz')).toBe(true);
    expect(isEvidenceFile('evidence.jsonl')).toBe(false);
  });

  it('writes the documents in the order report.json, report.html, report.pdf', () => {
    expect(ARTIFACTS).toEqual(['report.json', 'report.html', 'report.pdf']);
  });
});

describe('receiptPath', () => {
  it('is one receipt per bundle and set of recipients, whatever their order or case', () => {
    const path = receiptPath('daily/2026/11/26', ['cfo@example.com', 'Auditor@Example.com']);
    expect(path).toMatch(/^receipts\/daily\/2026\/11\/26\/email-[0-9a-f]{16}\.json$/);
    expect(receiptPath('daily/2026/11/26', ['auditor@example.com', 'CFO@example.com'])).toBe(path);
    expect(receiptPath('daily/2026/11/26', ['cfo@example.com'])).not.toBe(path);
    expect(receiptPath('daily/2026/11/27', ['cfo@example.com', 'auditor@example.com'])).not.toBe(path);
  });
});
