import { SendEmailCommand, type MessageTag, type SESv2Client } from '@aws-sdk/client-sesv2';
import { SesSendError, errorMessage } from '../errors.js';
import type { ComposedEmail, Mailer } from './mailer.js';

export interface SesMailerOptions {
  /**
   * The client decides retries. Its default (standard mode, 3 attempts) retries throttling
   * (`TooManyRequestsException`, `LimitExceededException`) and 5xx answers with backoff, which is all a
   * daily report needs. SendEmail has no idempotency token: a retry after a request SES did receive (a socket
   * timeout on the answer) can deliver the message twice. The delivery receipt, not this adapter, prevents a
   * second send across invocations.
   */
  client: SESv2Client;
  /** Routes sending events (bounces, complaints, deliveries) to the destinations of this configuration set. */
  configurationSet?: string;
  /** Message tags published with the sending events; names and values are made SES-safe (see `sesEmailTags`). */
  tags?: Record<string, string>;
}

/** What SES allows in a tag name or value, and how long either may be (API_MessageTag). */
const TAG_TEXT_NOT_ALLOWED = /[^A-Za-z0-9_-]+/g;
const TAG_TEXT_MAX = 256;

/**
 * The mailer for Amazon SES v2: the composed MIME goes out unchanged as raw content, so what an officer receives
 * is byte for byte what the outbox adapter would have written. The envelope recipients are `email.to`
 * (`Destination`), whatever the headers say.
 */
export function sesMailer(options: SesMailerOptions): Mailer {
  const { client } = options;
  const emailTags = sesEmailTags(options.tags ?? {});
  return {
    async send(email: ComposedEmail) {
      const recipients = `${email.to.length} recipient${email.to.length === 1 ? '' : 's'}`;
      if (email.to.length === 0) throw new SesSendError('SES SendEmail: the message has no recipients', 'NoRecipients');
      const command = new SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [...email.to] },
        Content: { Raw: { Data: email.raw } },
        ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
        ...(emailTags.length > 0 ? { EmailTags: emailTags } : {}),
      });
      let messageId: string | undefined;
      try {
        ({ MessageId: messageId } = await client.send(command));
      } catch (err) {
        const sesError = err instanceof Error ? err.name : 'Error';
        // The SDK error names the request id and SES's reason; the command (and the body in it) stays out.
        throw new SesSendError(`SES SendEmail to ${recipients} failed: ${sesError}: ${errorMessage(err)}`, sesError, {
          cause: err,
        });
      }
      if (!messageId) throw new SesSendError(`SES SendEmail to ${recipients} returned no MessageId`, 'NoMessageId');
      return { location: messageId };
    },
  };
}

/**
 * Tags as SES accepts them: every run of other characters becomes `_` (`America/New_York` → `America_New_York`),
 * cut to 256 characters. Names that end up equal keep the last value: SES rejects a message with a repeated name.
 */
export function sesEmailTags(tags: Record<string, string>): MessageTag[] {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(tags)) byName.set(sesTagText(name), sesTagText(value));
  return [...byName].map(([Name, Value]) => ({ Name, Value }));
}

function sesTagText(text: string): string {
  // An empty name or value is refused too; `_` keeps the tag rather than failing the delivery.
  return text.replace(TAG_TEXT_NOT_ALLOWED, '_').slice(0, TAG_TEXT_MAX) || '_';
}
