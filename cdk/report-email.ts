import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface ReportEmailProps {
  /** Null: CloudFormation names the configuration set. */
  name: string | null;
  /** Where bounces, complaints, rejects and delays of the report emails are published. */
  problemsTopic: sns.ITopic;
}

/** The SES configuration set every report email is sent with. */
export function reportEmail(scope: Construct, props: ReportEmailProps): ses.ConfigurationSet {
  const configurationSet = new ses.ConfigurationSet(scope, 'Email', {
    ...(props.name ? { configurationSetName: props.name } : {}),
    tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    reputationMetrics: true,
    sendingEnabled: true,
    suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
  });
  // A report that bounced was not delivered: that reaches the operators like any other failure.
  configurationSet.addEventDestination('DeliveryProblems', {
    destination: ses.EventDestination.snsTopic(props.problemsTopic),
    events: [
      ses.EmailSendingEvent.BOUNCE,
      ses.EmailSendingEvent.COMPLAINT,
      ses.EmailSendingEvent.REJECT,
      ses.EmailSendingEvent.RENDERING_FAILURE,
      ses.EmailSendingEvent.DELIVERY_DELAY,
    ],
  });
  return configurationSet;
}
