import { describe, expect, it } from 'vitest';
import { deriveAccess } from '../../../functions/access/derive.js';
import type { AccessSection, Permissions, ReportingUser } from '../../../functions/access/model.js';
import { beyondReadOnly, privilegesOf } from '../../../functions/access/permissions.js';
import { evaluateControls } from '../../../functions/analysis/controls/catalogue.js';
import type { ControlInputs } from '../../../functions/analysis/controls/inputs.js';
import { reportingUserReadOnly } from '../../../functions/analysis/controls/reporting-user.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { AUDIT_READ_PERMISSIONS } from '../../../functions/local/operator-hub.js';
import { accessFixture, usersSeen } from '../../support/access-fixtures.js';
import { sampleReport } from '../../support/sample-report.js';

const READ_ONLY = AUDIT_READ_PERMISSIONS.pub.allow;
const ID = 'reporting-user-read-only';

function inputs(report: ReportV1): ControlInputs {
  return {
    report,
    streams: [],
    previous: null,
    streamPlans: [],
    previousBundle: { state: 'first', detail: 'the first report of the archive' },
    archiveLock: { state: 'none', detail: 'a local archive has no Object Lock' },
    mirrors: null,
    incidents: [],
    incidentDeadlineDays: 7,
  };
}

/** The verdict alone and as the catalogue evaluates it: the same. */
function verdict(access: AccessSection | undefined) {
  const report = sampleReport();
  if (access) report.access = access;
  else delete report.access;
  const alone = reportingUserReadOnly(inputs(report));
  const inCatalogue = evaluateControls(inputs(report)).find((c) => c.id === ID)!;
  expect({ status: inCatalogue.status, detail: inCatalogue.detail }).toEqual(alone);
  return alone;
}

const fromFixture = (layout: 'hub' | 'operator', version: '2.9.10' | '2.10.27') => {
  const f = accessFixture(layout, version);
  return deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: null });
};

function withUser(permissions: Permissions | null): AccessSection {
  const user: ReportingUser = {
    source: 'audit',
    account: 'AUDIT',
    user: 'audit',
    permissions,
    permissionsFrom: 'user-info',
    beyondReadOnly: beyondReadOnly(permissions, READ_ONLY),
    privileges: privilegesOf(permissions),
  };
  return { ...fromFixture('hub', '2.10.27'), reportingUser: user };
}

const perms = (allow: string[] | null, deny: string[] = []): Permissions => ({
  publish: { allow, deny },
  subscribe: { allow: ['_INBOX.>'], deny: [] },
  responses: null,
});

describe('the reporting-user-read-only control', () => {
  it("passes for the operator layout's scoped reporting user, named (nats-server 2.10)", () => {
    const access = fromFixture('operator', '2.10.27');
    const f = accessFixture('operator', '2.10.27');
    expect(verdict(access)).toEqual({
      status: 'pass',
      detail:
        `the reporting user audit (${f.users!.audit.slice(0, 4)}…) ` +
        `of account AUDIT (${f.accounts!.AUDIT.slice(0, 4)}…) ` +
        `may publish only within the read-only list (${READ_ONLY.length} subjects)`,
    });
  });

  it('passes for a user allowed narrower subjects than the list', () => {
    expect(verdict(withUser(perms(['$JS.API.STREAM.INFO.SYS_EVENTS', 'sox.incidents.x.opened'])))).toEqual({
      status: 'pass',
      detail: 'the reporting user audit of account AUDIT may publish only within the read-only list (2 subjects)',
    });
  });

  it("fails for the configuration-file layout's unrestricted reporting user (nats-server 2.10)", () => {
    expect(verdict(fromFixture('hub', '2.10.27'))).toEqual({
      status: 'fail',
      detail:
        'the reporting user audit of account AUDIT may publish to every subject: ' +
        "give it the README's read-only permissions",
    });
  });

  it('fails for a user with no allow list, however much it denies', () => {
    expect(verdict(withUser(perms(null, ['$JS.API.STREAM.DELETE.*', '$SYS.>'])))).toEqual({
      status: 'fail',
      detail:
        'the reporting user audit of account AUDIT may publish to every subject not denied: ' +
        "give it the README's read-only permissions",
    });
  });

  it('fails naming what it may publish beyond the list', () => {
    expect(verdict(withUser(perms([...READ_ONLY, 'tx.>', '$JS.API.STREAM.DELETE.*'])))).toEqual({
      status: 'fail',
      detail:
        'the reporting user audit of account AUDIT may also publish $JS.API.STREAM.DELETE.*, tx.>, ' +
        'beyond the read-only list',
    });
    const many = Array.from({ length: 13 }, (_, i) => `app.s${String(i).padStart(2, '0')}`);
    expect(verdict(withUser(perms(many)))).toEqual({
      status: 'fail',
      detail:
        `the reporting user audit of account AUDIT may also publish ${many.slice(0, 10).join(', ')} and 3 more, ` +
        'beyond the read-only list',
    });
  });

  it('warns when the server could not say (nats-server 2.9 has no USER.INFO, nor a JWT outside operator mode)', () => {
    expect(verdict(fromFixture('hub', '2.9.10'))).toEqual({
      status: 'warn',
      detail:
        "the reporting user's permissions could not be read: the reporting user's permissions " +
        "($SYS.REQ.USER.INFO): not read ($SYS.REQ.USER.INFO: no responders: '$SYS.REQ.USER.INFO')",
    });
    // In operator mode the report's own connection's JWT states them, as the server applies them.
    expect(verdict(fromFixture('operator', '2.9.10')).status).toBe('pass');
    expect(verdict({ ...fromFixture('hub', '2.10.27'), reportingUser: null })).toEqual({
      status: 'warn',
      detail: "the reporting user's permissions could not be read: the server did not say",
    });
  });

  it('warns when the access evidence was not collected', () => {
    expect(verdict(undefined)).toEqual({
      status: 'warn',
      detail: 'the access evidence was not collected in this run',
    });
  });
});
