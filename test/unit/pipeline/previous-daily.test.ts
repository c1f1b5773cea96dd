import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localArchive } from '../../../functions/archive/local.js';
import type { ArchivePort, LockState } from '../../../functions/archive/port.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import { archiveLockState, previousDaily } from '../../../functions/pipeline/previous-daily.js';
import { loadOrCreateLocalSigner } from '../../../functions/seal/local-signer.js';
import { buildDailyArchive, dayFolder, TIMEZONE, writableCopy } from '../../support/verify-archive.js';

let scratch: string;
let archive: ArchivePort;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'sox-control-inputs-'));
  const signer = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'signer') });
  archive = await buildDailyArchive(path.join(scratch, 'archive'), ['2026-11-21', '2026-11-22', '2026-11-24'], signer);
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

const day = (date: string) => dailyPeriod(date, TIMEZONE);

describe('previousDaily', () => {
  it('reads the day before when it is archived and its manifest signature verifies', async () => {
    const { previous, previousBundle } = await previousDaily(archive, day('2026-11-23'));
    expect(previousBundle).toEqual({
      state: 'ok',
      detail:
        'daily/2026/11/22 is archived, its manifest signature verifies and its report.json is the one the ' +
        'manifest sealed',
    });
    const json = readFileSync(path.join(dayFolder(path.join(scratch, 'archive'), '2026-11-22'), 'report.json'));
    expect(previous?.bundle).toBe('daily/2026/11/22');
    expect(previous?.reportSha256).toBe(createHash('sha256').update(json).digest('hex'));
    // Only what the next report carries over is taken (and recorded in its inputs).
    const report = JSON.parse(json.toString('utf8')) as ReportV1;
    expect(previous?.report).toEqual({
      streams: report.streams,
      baseline: report.baseline,
      controls: report.controls,
      ...(report.streamSettings ? { streamSettings: report.streamSettings } : {}),
    });
  });

  it(
    'takes nothing from a previous report.json that is not the one its signed manifest sealed, ' +
      'and says which file',
    async () => {
      const root = await writableCopy(path.join(scratch, 'archive'), path.join(scratch, 'edited-report'));
      const file = path.join(dayFolder(root, '2026-11-22'), 'report.json');
      chmodSync(file, 0o644);
      const edited = JSON.parse(readFileSync(file, 'utf8')) as ReportV1;
      edited.baseline = {
        users: ['APP/mallory'],
        userHosts: [{ user: 'APP/mallory', hosts: ['10.9.9.9'], hostsTruncated: false }],
        truncated: false,
        newHosts: [],
      };
      writeFileSync(file, `${JSON.stringify(edited, null, 2)}\n`);
      const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
      const { link, ...found } = await previousDaily(localArchive(root), day('2026-11-23'));
      expect(found.previous).toBeNull();
      expect(found.previousBundle.state).toBe('invalid');
      expect(found.previousBundle.detail).toMatch(
        new RegExp(
          `^daily/2026/11/22/report\\.json: SHA-256 is ${actual}, but its signed manifest says [0-9a-f]{64}: ` +
            'the file was changed after it was sealed, so nothing was taken from it$',
        ),
      );
      expect(link?.path).toBe('daily/2026/11/22/manifest.json');
    },
  );

  it('says the day before is missing, and which is the latest earlier one', async () => {
    const { link, ...found } = await previousDaily(archive, day('2026-11-26'));
    expect(found).toEqual({
      previous: null,
      previousBundle: {
        state: 'missing',
        detail: 'daily/2026/11/25 is not in the archive (the latest earlier daily report is daily/2026/11/24)',
      },
    });
    // The new bundle still links to the latest earlier manifest: sealing takes this one rather than reading it again.
    expect(link?.path).toBe('daily/2026/11/24/manifest.json');
  });

  it('knows the first day of a series, and that ad-hoc reports are not in it', async () => {
    expect((await previousDaily(archive, day('2026-11-21'))).previousBundle.state).toBe('first');
    const adhoc = { ...day('2026-11-23'), kind: 'adhoc' as const, date: undefined };
    expect((await previousDaily(archive, adhoc)).previousBundle.state).toBe('not-applicable');
  });

  it('finds an edited previous manifest invalid', async () => {
    const root = await writableCopy(path.join(scratch, 'archive'), path.join(scratch, 'edited'));
    const file = path.join(dayFolder(root, '2026-11-22'), 'manifest.json');
    chmodSync(file, 0o644);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"daily"', '"daily" '));
    const { link, ...found } = await previousDaily(localArchive(root), day('2026-11-23'));
    expect(found).toEqual({
      previous: null,
      previousBundle: {
        state: 'invalid',
        detail: 'daily/2026/11/22: its manifest signature does not verify (run sox-report verify)',
      },
    });
    expect(link?.path).toBe('daily/2026/11/22/manifest.json');
  });
});

describe('archiveLockState', () => {
  const now = new Date('2026-11-25T06:00:00Z');
  const locked = (lock: LockState): ArchivePort => ({ ...archive, lockState: async () => lock });

  it('has nothing to say about a local archive', async () => {
    expect((await archiveLockState(archive, day('2026-11-23'), now)).state).toBe('none');
  });

  it(
    "reads the previous bundle's lock on S3: " + 'COMPLIANCE until a future date holds, anything else does not',
    async () => {
      const until = new Date('2033-11-23T05:00:00Z');
      expect(
        await archiveLockState(
          locked({ mode: 'COMPLIANCE', retainUntil: until, sha256: null }),
          day('2026-11-23'),
          now,
        ),
      ).toEqual({
        state: 'locked',
        detail: 'daily/2026/11/22/manifest.json is locked in COMPLIANCE mode until 2033-11-23T05:00:00.000Z',
      });
      expect(
        await archiveLockState(
          locked({ mode: 'GOVERNANCE', retainUntil: until, sha256: null }),
          day('2026-11-23'),
          now,
        ),
      ).toEqual({
        state: 'unlocked',
        detail: 'daily/2026/11/22/manifest.json is in GOVERNANCE lock mode until 2033-11-23T05:00:00.000Z',
      });
      const past = await archiveLockState(
        locked({ mode: 'COMPLIANCE', retainUntil: new Date('2026-01-01T00:00:00Z'), sha256: null }),
        day('2026-11-23'),
        now,
      );
      expect(past.state).toBe('unlocked');
    },
  );
});
