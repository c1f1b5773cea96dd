import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReportPdf } from '../../../functions/render/pdf.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { configFileAccess, KEYS, rules2Access, sampleReportWithAccess } from '../../support/sample-access.js';
import { HOSTILE, SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';

/** Not committed (test/artifacts/ is ignored): the operator-mode PDF, for a person to look at. */
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** The PDF's text in content order (each cell's lines together), every run of whitespace as one space. */
async function pdfText(report: ReportV1, name: string, maxRows = 1000): Promise<string> {
  const vm = buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows, signed: true });
  const file = path.join(ARTIFACTS, name);
  writeFileSync(file, await renderReportPdf(vm));
  const result = spawnSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.replace(/\s+/g, ' ');
}

let operator: string;
let config: string;
let bounded: string;
let without: string;
let rules2: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  operator = await pdfText(sampleReportWithAccess(), 'report-access.pdf');
  config = await pdfText(sampleReportWithAccess(configFileAccess()), 'report-access-config.pdf');
  bounded = await pdfText(sampleReportWithAccess(), 'report-access-bounded.pdf', 2);
  without = await pdfText(sampleReport(), 'report-without-access.pdf');
  rules2 = await pdfText(sampleReportWithAccess(rules2Access()), 'report-access-rules2.pdf');
});

describe('the Access review in the PDF', () => {
  it('is section 4, after Track access, with its summary', () => {
    expect(operator).toContain('3. Track access');
    expect(operator).toContain(
      '4. Access review Track access: who may do what (every user, the administrators, the report’s own user)',
    );
    expect(operator).toContain('5. Safeguards');
    expect(operator).toContain('4 changes since the previous daily report.');
  });

  it('lists the changes first, each with what changed and before → after', () => {
    const changes = operator.indexOf('Changes since the previous daily report Change Concerns What When');
    expect(changes).toBeGreaterThan(operator.indexOf('4. Access review'));
    expect(changes).toBeLessThan(operator.indexOf('The reporting user (the user this report reads with)'));
    expect(operator).toContain(
      'configuration reloaded server hub-1 server hub-1 reloaded its configuration 2026-11-24 ' +
        '10:30:00.000000000 -05:00 sha256:0c9d5e7a3f21 → sha256:4f2a9c0e1b7d',
    );
    expect(operator).toContain('server upgraded server hub-2 server hub-2 runs 2.10.27 (was 2.10.26)');
  });

  it('marks the reporting user read-only and the administrators ADMIN, names beside keys', () => {
    expect(operator).toContain('audit AUDIT (APXJ…)');
    expect(operator).toContain('READ-ONLY $JS.API.INFO, $JS.API.STREAM.INFO.*');
    expect(operator).toContain('APP (AW4L…) ops-admin (UVEW…) ADMIN all subjects, JetStream API, system subjects');
    expect(operator).not.toContain('NOT READ-ONLY');
    expect(config).toContain('NOT READ-ONLY $JS.API.>, _INBOX.> any subject $JS.API.>, _INBOX.> JetStream API');
    expect(config).toContain('No change since the previous daily report.');
  });

  it('shows accounts with their exports and imports, servers, streams and what could not be seen', () => {
    expect(operator).toContain('AUDIT (APXJ…) import service payments.api.> from APP (AW4L…) as app.payments.>');
    expect(operator).toContain('APP (AW4L…) export stream tx.events.> any account (public) token required');
    expect(operator).toContain('sha256:4f2a9c0e1b7d');
    expect(operator).toContain('deny delete, deny purge, sealed mirror of TRANSACTIONS');
    expect(operator).toContain(
      'What could not be seen Limit Encryption at rest cannot be read from any endpoint ' +
        '(nats-server does not export JetStreamCipher).',
    );
  });

  it('shows hostile names as text and a bidi override as its escape', () => {
    expect(operator).toContain('\\u202Etoor (U2HT…)');
    expect(operator).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    // Cells wrap where the layout puts them (`</ script>`, the 188-character name): compared without spaces.
    const joined = operator.replace(/ /g, '');
    expect(joined).toContain(`${HOSTILE.script}(UYCS…)no`.replace(/ /g, ''));
    expect(joined).toContain(`${HOSTILE.longToken}(U7RT…)`);
  });

  it('bounds the users table like every table, saying how many rows are left out', () => {
    expect(bounded).toContain(
      `ops-admin (UVEW…) ADMIN all subjects, JetStream API, system subjects any subject (unrestricted)`,
    );
    expect(bounded).toContain(KEYS.forged.slice(0, 10));
    expect(bounded).toContain('Showing 2 of 6 rows. 4 more rows are not shown here; report.json.');
  });

  it('shows the change kinds of access rules 2 and who may delete or alter stream data as ADMIN', () => {
    expect(rules2).toContain(
      'revocation lifted account APP (AW4L…) account APP (AW4L…) lifted the revocation of user UYCS',
    );
    expect(rules2).toContain('JetStream limits changed account APP (AW4L…) account APP (AW4L…) has other');
    expect(rules2).toContain('account JWT expiry changed');
    expect(rules2).toContain('account JWT issuer changed');
    expect(rules2).toContain('payments-svc (USNI…) ADMIN may delete or alter stream data');
  });

  it('is absent from a report without access', () => {
    expect(without).toContain('3. Track access');
    expect(without).toContain('4. Safeguards');
    expect(without).not.toContain('Access review');
    expect(without).not.toContain('READ-ONLY');
  });
});
