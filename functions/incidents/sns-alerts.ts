import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { incidentAlert, type AlertPort } from './alerts.js';

/** SNS behind the alert port (the stack's alert topic): the same JSON as on NATS, with a subject people can read. */
export function snsAlerts(client: SNSClient, topicArn: string): AlertPort {
  return {
    async incidentOpened(incident) {
      const alert = incidentAlert(incident);
      // SNS subjects: ASCII, no line breaks, at most 100 characters.
      const subject = `[${alert.severity.toUpperCase()}] ${alert.rule}: ${alert.subject}`
        .replace(/[^\x20-\x7e]/g, '?')
        .slice(0, 100);
      await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject,
          Message: JSON.stringify(alert),
          MessageAttributes: {
            severity: { DataType: 'String', StringValue: alert.severity },
            rule: { DataType: 'String', StringValue: alert.rule },
          },
        }),
      );
    },
  };
}
