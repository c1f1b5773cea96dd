import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/**
 * What the parameters hold until the operator writes the real values (cdk/README.md, "First run"). The handlers
 * reject both with a message saying what to put there. Never change these strings: CloudFormation rewrites a
 * parameter only when its template value changes, and a new placeholder would overwrite the operator's document.
 */
export const CONFIG_PLACEHOLDER =
  'PLACEHOLDER: put the configuration document (JSON, ARCHITECTURE.md "Configuration contract") here with ' +
  'aws ssm put-parameter --overwrite; see cdk/README.md';
export const CERTIFICATE_PLACEHOLDER =
  'PLACEHOLDER: put the PEM certificate of the signing key here (sox-report certificate, ' +
  'then aws ssm put-parameter --overwrite); see cdk/README.md';

export interface RunInputsProps {
  configParameterName: string;
  certificateParameterName: string;
}

/** The configuration document, the signing certificate and the NATS credentials: filled in after the first deploy. */
export class RunInputs extends Construct {
  readonly config: ssm.StringParameter;
  readonly certificate: ssm.StringParameter;
  readonly natsCredentials: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: RunInputsProps) {
    super(scope, id);
    this.config = new ssm.StringParameter(this, 'Config', {
      parameterName: props.configParameterName,
      description: 'SOX reports: the configuration document (JSON, no secrets: NATS credentials are in the secret)',
      stringValue: CONFIG_PLACEHOLDER,
      tier: ssm.ParameterTier.STANDARD,
    });
    this.certificate = new ssm.StringParameter(this, 'SigningCertificate', {
      parameterName: props.certificateParameterName,
      description: 'SOX reports: PEM certificate of the KMS signing key',
      stringValue: CERTIFICATE_PLACEHOLDER,
      tier: ssm.ParameterTier.STANDARD,
    });
    this.natsCredentials = new secretsmanager.Secret(this, 'NatsCredentials', {
      description:
        'SOX reports: NATS credentials by source name, ' +
        '{"<source>": {"creds": "…"} | {"user": "…", "pass": "…"} | {"token": "…"}}',
      // No source has credentials until the operator stores them; sources then connect as the configuration says.
      secretObjectValue: {},
    });
    acknowledge(
      this.natsCredentials,
      'AwsSolutions-SMG4',
      'NATS user credentials are issued by the NATS operator (nsc, the account signing key), ' +
        'not by anything a Secrets Manager rotation function can call; they are rotated there and stored here.',
    );
  }
}
