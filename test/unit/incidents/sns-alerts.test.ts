import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { deriveIncidents, openedEvent } from '../../../functions/incidents/model.js';
import { snsAlerts } from '../../../functions/incidents/sns-alerts.js';

describe('snsAlerts', () => {
  it('publishes the alert JSON to the topic with a readable, safe subject', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const opened = openedEvent({
      rule: 'brute-force-user',
      severity: 'high',
      subject: 'Дмитрий\r\nBcc: x',
      summary: '6 failed logins in 10 minutes',
      day: '2026-11-24',
      at: '2026-11-24T14:00:00.000000000Z',
      evidence: [{ stream: 'SYS_EVENTS', seq: 4 }],
    });
    const incident = deriveIncidents([
      { seq: 1, storedAt: '2026-11-25T06:00:00.000000000Z', event: opened },
    ]).incidents.get(opened.id)!;
    await snsAlerts(client, 'arn:aws:sns:us-east-1:111122223333:alerts').incidentOpened(incident);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe('arn:aws:sns:us-east-1:111122223333:alerts');
    expect(input.Subject).toBe('[HIGH] brute-force-user: ?????????Bcc: x');
    expect(JSON.parse(input.Message!)).toMatchObject({
      type: 'incident.opened',
      id: opened.id,
      severity: 'high',
      subject: 'Дмитрий\r\nBcc: x',
    });
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'high' },
      rule: { DataType: 'String', StringValue: 'brute-force-user' },
    });
  });
});
