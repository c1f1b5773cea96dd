import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundleFileCommands, ESM_REQUIRE_BANNER, UNBUNDLED_PACKAGES } from './bundle-files.js';

/**
 * The memory (and so the vCPUs) comes from the settings (reportMemoryMB, default 1769: one full vCPU); README's
 * "Sizing" gives messages per second per size, from the benchmark. 15 minutes is the Lambda maximum; a day that
 * needs more is the point at which to split it into mergeable slices (analysis/merge-aggregates.ts), not to wait.
 */
export const REPORT_TIMEOUT = Duration.minutes(15);

export interface ReportFunctionProps {
  /** The handler module, relative to the project root (its export `handler` is the entry point). */
  entry: string;
  description: string;
  projectRoot: string;
  /** Shared by both functions: the signing key's policy names exactly this role. */
  role: iam.IRole;
  environment: Record<string, string>;
  /**
   * Lambda's on-failure destination for asynchronous invocations that failed after their retries; null for a
   * function only ever called synchronously (the attest function, behind its URL), which keeps Lambda's defaults.
   */
  failedRuns: sqs.IQueue | null;
  logRetentionDays: number;
  memoryMB: number;
  /** REPORT_TIMEOUT unless given. */
  timeout?: Duration;
  /** 1 for the scheduled run: two runs of the same day never race (the archive's write-once still guards). */
  reservedConcurrency?: number;
  network?: { vpc: ec2.IVpc; subnets: ec2.ISubnet[]; securityGroups: ec2.ISecurityGroup[] } | null;
  operatorFilesDir?: string | null;
  /** What the bundle carries beside the handler (bundle-files.ts): true unless given. */
  renders?: boolean;
  replays?: boolean;
}

export class ReportFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReportFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetentionDays as logs.RetentionDays });
    // The shared role carries no managed policy: each function may write to its own log group only.
    this.logGroup.grantWrite(props.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(props.projectRoot, props.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMB,
      timeout: props.timeout ?? REPORT_TIMEOUT,
      role: props.role,
      environment: props.environment,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      // Asynchronous invocations (the schedule's): two retries, then the event goes to the failed-runs queue.
      ...(props.failedRuns
        ? { retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(props.failedRuns) }
        : {}),
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: { subnets: props.network.subnets },
            securityGroups: props.network.securityGroups,
          }
        : {}),
      bundling: {
        // The code is ESM and finds its templates and fonts through import.meta.url, which CJS output would erase.
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Bundled CommonJS packages (handlebars, xray) still call require() for Node built-ins.
        banner: ESM_REQUIRE_BANNER,
        // Only pdfkit stays out (installed next to the bundle, bundle-files.ts). The AWS SDK is bundled rather than
        // taken from the runtime: the runtime's copy has its own version and package set (s3-request-presigner,
        // If-None-Match on PutObject), the SDK team advises shipping your own, and one bundled file imports faster
        // than hundreds of small modules (measured cold import: ~250 ms bundled, ~340 ms from node_modules).
        externalModules: [...UNBUNDLED_PACKAGES],
        sourceMap: false,
        minify: false,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            bundleFileCommands(
              {
                projectRoot: props.projectRoot,
                operatorFilesDir: props.operatorFilesDir ?? null,
                renders: props.renders ?? true,
                replays: props.replays ?? true,
              },
              outputDir,
            ),
        },
      },
    });
  }
}
