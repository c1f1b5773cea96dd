import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { S3Client } from '@aws-sdk/client-s3';
import { MessageRejected, SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, RunError, SesSendError } from '../../functions/errors.js';
import type { ComposedEmail } from '../../functions/deliver/mailer.js';
import { sesEmailTags, sesMailer } from '../../functions/deliver/ses.js';
import {
  MAX_PDF_LINK_SECONDS,
  SES_V2_MAX_BYTES,
  archivedPdfLink,
  composeWithinLimit,
  fitsLimit,
  presignedPdfLink,
  type PdfDelivery,
  type PdfLink,
} from '../../functions/deliver/size-limit.js';
import { composeReportEmail, oneLine, reportSubject } from '../../functions/render/email.js';
import { renderReportPdf } from '../../functions/render/pdf.js';
import { loadTemplates, type Templates } from '../../functions/render/templates.js';
import { buildViewModel } from '../../functions/render/view-model.js';
import type { ViewModel } from '../../functions/render/view-model-types.js';
import { SAMPLE_BRANDING, sampleReport } from '../support/sample-report.js';

const FROM = 'reports@example.com';
const TO = ['cfo@example.com', 'audit@example.com'];
const DATE = new Date('2026-11-25T06:00:05.000Z');
/** SES sends each time it is asked, whatever the delivery: the pipeline's receipt is what keeps it to once. */
const DELIVERY = { key: 'daily/2026/11/24/email-0123456789abcdef' };
const BUCKET = 'evidence';
const PDF_KEY = 'sox/daily/2026/11/24/report.pdf';
const ARCHIVE = `s3://${BUCKET}/sox/daily/2026/11/24/`;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const EMULATOR_START_MS = 5_000;

/** What aws-ses-v2-local keeps of a raw message: the parts mailparser found, not the MIME itself. */
interface StoredEmail {
  messageId: string;
  from: string;
  /** For raw content: the To/Cc/Bcc header text (one string per header), not the API's Destination. */
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { filename?: string; contentType: string; content: string; size: number }[];
}

interface Emulator {
  endpoint: string;
  stored(messageId: string): Promise<StoredEmail>;
  stop(): Promise<void>;
}

/**
 * The emulator's own CLI in its own process group, on a port the OS picks (`--port 0`: no window in which
 * another process takes a port we probed). Its start line names the port.
 */
async function startEmulator(): Promise<Emulator> {
  const cli = createRequire(import.meta.url).resolve('aws-ses-v2-local/dist/cli.js');
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SMTP_TRANSPORT: '' }, // never forward the test mail anywhere
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 2_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`aws-ses-v2-local did not start in ${EMULATOR_START_MS} ms:\n${output}`)),
        EMULATOR_START_MS,
      );
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /server running at http:\/\/[^\s]+:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`aws-ses-v2-local exited with ${code}:\n${output}`));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const health = await fetch(`${endpoint}/health-check`);
    if (health.status !== 200) throw new Error(`aws-ses-v2-local health check answered ${health.status}`);
    return {
      endpoint,
      async stored(messageId) {
        const response = await fetch(`${endpoint}/store`);
        const { emails } = (await response.json()) as { emails: StoredEmail[] };
        const email = emails.find((e) => e.messageId === messageId);
        if (!email) throw new Error(`the emulator holds no message ${messageId}`);
        return email;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

let emulator: Emulator;
let ses: SESv2Client;
let templates: Templates;
let vm: ViewModel;
let pdf: Uint8Array;

beforeAll(async () => {
  [emulator, templates] = await Promise.all([startEmulator(), loadTemplates()]);
  ses = new SESv2Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  vm = buildViewModel(sampleReport(), {
    branding: SAMPLE_BRANDING,
    maxRows: 100,
    signed: true,
    archiveLocation: ARCHIVE,
  });
  pdf = await renderReportPdf(vm);
});

afterAll(async () => {
  ses?.destroy();
  await emulator?.stop();
});

const composeAttached = () =>
  composeReportEmail(vm, templates, {
    from: FROM,
    to: TO,
    pdf,
    archiveLocation: ARCHIVE,
    date: DATE,
    messageId: '<report-2026-11-24@example.com>',
  });

/**
 * The fallback message, written here because render/email.ts cannot yet leave the PDF out: the same sender,
 * recipients and subject, the link instead of the attachment.
 */
async function composeLinked(link: PdfLink): Promise<ComposedEmail> {
  const subject = reportSubject(vm);
  const sentence = `The signed PDF is too large to attach. Download it until ${link.expiresAt.toISOString()}:`;
  const href = link.url.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  const composer = new MailComposer({
    from: { name: oneLine(vm.branding.company ?? vm.branding.title), address: FROM },
    to: TO,
    subject,
    date: DATE,
    headers: { 'Auto-Submitted': 'auto-generated' },
    text: `${sentence}\n${link.url}\n`,
    html: `<p>${sentence}</p><p><a href="${href}">${href}</a></p>`,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = await composer.compile().build();
  return { from: FROM, to: TO, subject, raw: new Uint8Array(raw) };
}

const composeFor = (delivery: PdfDelivery) =>
  delivery.kind === 'attached' ? composeAttached() : composeLinked(delivery.link);

const fakeS3 = () => new S3Client({ region: 'us-east-1', credentials: CREDENTIALS });
const addressesOf = (headerTexts: string[]) => headerTexts.flatMap((text) => text.split(/,\s*/));

describe('the SES mailer against aws-ses-v2-local', () => {
  it('delivers the report email: the stored copy has its recipients, subject and the PDF byte for byte', async () => {
    const email = await composeAttached();
    const { location } = await sesMailer({
      client: ses,
      configurationSet: 'sox-reports',
      tags: { report: 'daily' },
    }).send(email, DELIVERY);
    expect(location).toMatch(/^ses-\d+$/);

    const stored = await emulator.stored(location);
    expect(stored.subject).toBe(email.subject);
    expect(stored.from).toContain(FROM);
    expect(addressesOf(stored.destination.to)).toEqual(TO);
    expect(stored.destination.bcc).toEqual([]);
    expect(stored.body.text).toContain(ARCHIVE);

    expect(stored.attachments).toHaveLength(1);
    const [attachment] = stored.attachments;
    expect(attachment?.filename).toBe('report.pdf');
    expect(attachment?.contentType).toBe('application/pdf');
    const received = Buffer.from(attachment!.content, 'base64');
    expect(received.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(Buffer.compare(received, Buffer.from(pdf))).toBe(0);
  });

  it(
    'sends a message over the limit without the attachment, ' + 'with a seven-day presigned link to the archived PDF',
    async () => {
      const maxBytes = 8 * 1024;
      const result = await composeWithinLimit({
        compose: composeFor,
        link: () => archivedPdfLink(fakeS3(), BUCKET, PDF_KEY, { now: DATE }),
        maxBytes,
      });
      expect(result.attachedBytes).toBeGreaterThan(maxBytes);
      expect(result.fellBack).toBe(true);
      expect(result.email.raw.byteLength).toBeLessThanOrEqual(maxBytes);

      const link = result.link!;
      expect(link.url).toContain(`/${PDF_KEY}?`);
      expect(link.url).toContain(BUCKET);
      expect(link.url).toContain('X-Amz-Expires=604800');
      expect(link.url).toContain('X-Amz-Date=20261125T060005Z');
      expect(link.expiresAt.toISOString()).toBe('2026-12-02T06:00:05.000Z');

      const { location } = await sesMailer({ client: ses }).send(result.email, DELIVERY);
      const stored = await emulator.stored(location);
      expect(stored.attachments).toEqual([]);
      expect(stored.subject).toBe(reportSubject(vm));
      expect(addressesOf(stored.destination.to)).toEqual(TO);
      expect(stored.body.text).toContain(link.url);
      expect(stored.body.html).toContain(link.url.replaceAll('&', '&amp;'));
    },
  );
});

describe('the SendEmail request', () => {
  it('carries the raw bytes, the envelope, the configuration set and SES-safe tags', async () => {
    const client = new SESv2Client({ region: 'us-east-1', credentials: CREDENTIALS });
    const mock = mockClient(client); // this instance only: the emulator's client stays real
    try {
      mock.on(SendEmailCommand).resolves({ MessageId: '0100018c-mocked' });
      const email = await composeAttached();
      const tags = {
        report: 'daily',
        period: '2026-11-24',
        timezone: 'America/New_York',
        'company name': 'Acme <Ltd> & Co',
      };
      const sent = await sesMailer({ client, configurationSet: 'sox-reports', tags }).send(email, DELIVERY);
      expect(sent).toEqual({ location: '0100018c-mocked' });

      const calls = mock.commandCalls(SendEmailCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({
        FromEmailAddress: FROM,
        Destination: { ToAddresses: TO },
        Content: { Raw: { Data: email.raw } },
        ConfigurationSetName: 'sox-reports',
        EmailTags: [
          { Name: 'report', Value: 'daily' },
          { Name: 'period', Value: '2026-11-24' },
          { Name: 'timezone', Value: 'America_New_York' },
          { Name: 'company_name', Value: 'Acme_Ltd_Co' },
        ],
      });
    } finally {
      mock.restore();
      client.destroy();
    }
  });

  it('leaves out the configuration set and tags when none are given', async () => {
    const client = new SESv2Client({ region: 'us-east-1', credentials: CREDENTIALS });
    const mock = mockClient(client);
    try {
      mock.on(SendEmailCommand).resolves({ MessageId: 'id' });
      await sesMailer({ client }).send(
        await composeLinked({ url: 'https://example.com/r.pdf', expiresAt: DATE }),
        DELIVERY,
      );
      expect(Object.keys(mock.commandCalls(SendEmailCommand)[0]!.args[0].input).sort()).toEqual([
        'Content',
        'Destination',
        'FromEmailAddress',
      ]);
    } finally {
      mock.restore();
      client.destroy();
    }
  });

  it('makes tag names and values SES-safe: allowed characters only, at most 256, never empty', () => {
    expect(sesEmailTags({ 'a b': 'x/y', '': '', long: 'v'.repeat(300), 'a-b_C9': 'ok-_9' })).toEqual([
      { Name: 'a_b', Value: 'x_y' },
      { Name: '_', Value: '_' },
      { Name: 'long', Value: 'v'.repeat(256) },
      { Name: 'a-b_C9', Value: 'ok-_9' },
    ]);
  });

  it('wraps an SES refusal with the operation and recipient count, not the message', async () => {
    const client = new SESv2Client({ region: 'us-east-1', credentials: CREDENTIALS });
    const mock = mockClient(client);
    try {
      mock
        .on(SendEmailCommand)
        .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
      const email = await composeAttached();
      const error = await sesMailer({ client })
        .send(email, DELIVERY)
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SesSendError);
      expect(error).toBeInstanceOf(RunError);
      expect((error as SesSendError).sesError).toBe('MessageRejected');
      expect((error as Error).message).toBe(
        'SES SendEmail to 2 recipients failed: MessageRejected: Email address is not verified.',
      );
      expect((error as Error).cause).toBeInstanceOf(MessageRejected);
    } finally {
      mock.restore();
      client.destroy();
    }
  });

  it('is retried by the SDK when SES throttles (TooManyRequestsException, standard retry mode)', async () => {
    let requests = 0;
    const server: Server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        if (requests === 1) {
          response.writeHead(429, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'TooManyRequestsException',
          });
          response.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
        } else {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ MessageId: 'after-retry' }));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new SESv2Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
    try {
      const sent = await sesMailer({ client }).send(
        await composeLinked({ url: 'https://example.com/r.pdf', expiresAt: DATE }),
        DELIVERY,
      );
      expect(sent).toEqual({ location: 'after-retry' });
      expect(requests).toBe(2);
    } finally {
      client.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('the size limit', () => {
  it('keeps the attachment when the message fits, and never asks for a link then', async () => {
    let linked = 0;
    const result = await composeWithinLimit({
      compose: composeFor,
      link: async () => {
        linked += 1;
        return { url: 'unused', expiresAt: DATE };
      },
    });
    expect(result.fellBack).toBe(false);
    expect(result.link).toBeNull();
    expect(linked).toBe(0);
    expect((await simpleParser(Buffer.from(result.email.raw))).attachments).toHaveLength(1);
  });

  it('measures the MIME message against 40 MiB, or a lower configured limit, never a higher one', () => {
    const email = (bytes: number): ComposedEmail => ({ from: FROM, to: TO, subject: 's', raw: new Uint8Array(bytes) });
    expect(fitsLimit(email(SES_V2_MAX_BYTES))).toBe(true);
    expect(fitsLimit(email(SES_V2_MAX_BYTES + 1))).toBe(false);
    expect(fitsLimit(email(1001), 1000)).toBe(false);
    expect(() => fitsLimit(email(1), SES_V2_MAX_BYTES + 1)).toThrow(InputError);
    expect(() => fitsLimit(email(1), 0)).toThrow(InputError);
  });

  it('fails rather than sending a message that is too large even without the PDF', async () => {
    const attempt = composeWithinLimit({
      compose: composeFor,
      link: () => archivedPdfLink(fakeS3(), BUCKET, PDF_KEY, { now: DATE }),
      maxBytes: 100,
    });
    await expect(attempt).rejects.toThrow(RunError);
    await expect(attempt).rejects.toThrow(/even without the PDF .* the limit is 100$/);
  });

  it('presigns for at most seven days', async () => {
    const s3 = fakeS3();
    const url = await presignedPdfLink(s3, BUCKET, PDF_KEY, 3600, DATE);
    expect(url).toContain('X-Amz-Expires=3600');
    await expect(presignedPdfLink(s3, BUCKET, PDF_KEY, MAX_PDF_LINK_SECONDS + 1)).rejects.toThrow(InputError);
    await expect(presignedPdfLink(s3, BUCKET, PDF_KEY, 0)).rejects.toThrow(InputError);
    await expect(archivedPdfLink(s3, BUCKET, PDF_KEY, { expiresInSeconds: 1.5 })).rejects.toThrow(
      /1 to 604800 seconds/,
    );
  });
});
