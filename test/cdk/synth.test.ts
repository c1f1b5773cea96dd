import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/build-app.js';

/**
 * `npx cdk synth` exactly as CI and a new operator run it: from the repository, with no AWS credentials, account
 * or region anywhere in the environment. Notices and CLI telemetry are off so the CLI makes no network call, and
 * the EC2 metadata service is not asked for credentials.
 */
describe('npx cdk synth without AWS credentials', () => {
  let outdir: string;
  let result: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'sox-synth-'));
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_)/.test(key)),
    );
    Object.assign(env, { AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', HOME: outdir });
    const cdk = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
    result = spawnSync(cdk, ['synth', '--quiet', '--no-notices', '--output', path.join(outdir, 'cdk.out')], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
      timeout: 110_000,
    });
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('exits 0 and writes the stack template, cdk-nag included', () => {
    expect(result.error).toBeUndefined();
    expect(result.status, String(result.stderr)).toBe(0);
    const templateFile = path.join(outdir, 'cdk.out', 'NatsSoxReports.template.json');
    expect(existsSync(templateFile)).toBe(true);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::KMS::Key',
      'AWS::Lambda::Function',
      'AWS::Scheduler::Schedule',
      'AWS::CloudWatch::Alarm',
    ])
      expect(types).toContain(type);
    // The stack is environment-agnostic without credentials: nothing was looked up.
    expect(readFileSync(path.join(outdir, 'cdk.out', 'manifest.json'), 'utf8')).toContain(
      'aws://unknown-account/unknown-region',
    );
  });
});
