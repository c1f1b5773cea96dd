import { spawnSync } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as asn1js from 'asn1js';
import PDFDocument from 'pdfkit';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSignaturePlaceholder,
  buildDetachedCms,
  coversWholeFile,
  DEFAULT_SIGNATURE_LENGTH,
  extractPdfSignature,
  signPdf,
} from '../../../functions/seal/pdf-signature.js';
import type { PdfSignature } from '../../../functions/seal/pdf-signature.js';
import { createTestSigner } from '../../support/test-signer.js';
import type { TestSigner } from '../../support/test-signer.js';

// Kept after the run (gitignored) so a person can open the PDFs in a viewer.
const artifacts = fileURLToPath(new URL('../../artifacts/pdf-signature/', import.meta.url));
const SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function renderPdf(title: string, withPlaceholder = true): Promise<Uint8Array> {
  const doc = new PDFDocument({ info: { Title: title } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.fontSize(18).text(title);
  doc.fontSize(11).text('Daily SOX control report: a page of text to sign.');
  if (withPlaceholder) {
    addSignaturePlaceholder(doc, { reason: 'Daily SOX control report', name: 'nats-sox-reports', location: 'test' });
  }
  doc.end();
  await ended;
  return new Uint8Array(Buffer.concat(chunks));
}

interface SignedCase {
  signer: TestSigner;
  pdf: Uint8Array;
  pdfPath: string;
  signature: PdfSignature;
  cmsPath: string;
  contentPath: string;
}

async function signCase(name: string, signer: TestSigner): Promise<SignedCase> {
  const pdf = await signPdf(await renderPdf(`Signed with ${signer.algorithm}`), signer);
  const pdfPath = join(artifacts, `${name}-signed.pdf`);
  writeFileSync(pdfPath, pdf);
  writeFileSync(join(artifacts, `${name}-cert.pem`), signer.certificatePem);
  const signature = extractPdfSignature(pdf);
  if (!signature) throw new Error('no signature found in the signed PDF');
  const cmsPath = join(artifacts, `${name}-signature.der`);
  const contentPath = join(artifacts, `${name}-signed-ranges.bin`);
  writeFileSync(cmsPath, signature.cms);
  writeFileSync(contentPath, signature.signedContent);
  return { signer, pdf, pdfPath, signature, cmsPath, contentPath };
}

function opensslCmsVerify(cmsPath: string, contentPath: string, caFile: string) {
  return run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    cmsPath,
    '-content',
    contentPath,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

function signedAttribute(cms: Uint8Array, type: string): asn1js.AsnType | undefined {
  const contentInfo = pkijs.ContentInfo.fromBER(cms);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  return signedData.signerInfos[0]?.signedAttrs?.attributes.find((a) => a.type === type)?.values[0];
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let ecdsa: SignedCase;
let rsa: SignedCase;
const scratch = mkdtempSync(join(tmpdir(), 'sox-pdf-signature-'));

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  ecdsa = await signCase('ecdsa', createTestSigner('ECDSA_SHA_256'));
  rsa = await signCase('rsa', createTestSigner('RSASSA_PKCS1_V1_5_SHA_256'));
});

afterAll(() => {
  for (const c of [ecdsa, rsa]) if (c) rmSync(c.signer.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('test signer', () => {
  it('signs a precomputed digest so the signature verifies over the original message', async () => {
    const message = Buffer.from('the manifest bytes');
    for (const signer of [ecdsa.signer, rsa.signer]) {
      const signature = await signer.signDigest(createHash('sha256').update(message).digest());
      expect(verify('sha256', message, signer.publicKeyPem, signature), signer.algorithm).toBe(true);
    }
  });
});

describe('signed PDF (ECDSA P-256)', () => {
  it('pdfsig says the signature is valid, covers the whole document and is ETSI.CAdES.detached', () => {
    const { stdout } = run('pdfsig', [ecdsa.pdfPath]);
    expect(stdout).toContain('Signature Validation: Signature is Valid.');
    expect(stdout).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
    expect(stdout).toContain('Total document signed');
  });

  it('pdfsig trusts the certificate once it is in an NSS database', () => {
    const nssDir = join(scratch, 'nssdb');
    mkdirSync(nssDir);
    const certFile = join(scratch, 'trusted.pem');
    writeFileSync(certFile, ecdsa.signer.certificatePem);
    expect(run('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']).status).toBe(0);
    expect(run('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'test', '-t', 'CT,C,C', '-i', certFile]).status).toBe(0);
    // No -no-ocsp: poppler 22.12 then reports "Unknown issue with Certificate" for a trusted certificate.
    const { stdout } = run('pdfsig', ['-nssdir', `sql:${nssDir}`, ecdsa.pdfPath]);
    expect(stdout).toContain('Signature is Valid.');
    expect(stdout).toContain('Certificate Validation: Certificate is Trusted.');
  });

  it('qpdf finds no errors', () => {
    const { status, stdout, stderr } = run('qpdf', ['--check', ecdsa.pdfPath]);
    expect(status).toBe(0);
    expect(stdout).toContain('No syntax or stream encoding errors found');
    expect(stderr).not.toMatch(/error|warning/i);
  });

  it('the extracted CMS verifies with openssl against the certificate as trust anchor', () => {
    const { status, stderr } = opensslCmsVerify(ecdsa.cmsPath, ecdsa.contentPath, join(artifacts, 'ecdsa-cert.pem'));
    expect(stderr).toContain('Verification successful');
    expect(status).toBe(0);
  });

  it('the CMS carries signingCertificateV2 and a messageDigest of the signed ranges', () => {
    const { stdout } = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', ecdsa.cmsPath]);
    expect(stdout).toContain(SIGNING_CERTIFICATE_V2);
    expect(stdout).toContain('messageDigest');
    expect(stdout).toContain('ecdsa-with-SHA256');
    expect(stdout).toContain('eContent: <ABSENT>');

    const digest = signedAttribute(ecdsa.signature.cms, MESSAGE_DIGEST);
    expect(digest).toBeInstanceOf(asn1js.OctetString);
    expect(Buffer.from((digest as asn1js.OctetString).getValue()).toString('hex')).toBe(
      sha256Hex(ecdsa.signature.signedContent),
    );
  });

  it('signingCertificateV2 names the embedded certificate by its SHA-256', () => {
    const value = signedAttribute(ecdsa.signature.cms, SIGNING_CERTIFICATE_V2) as asn1js.Sequence;
    const certs = value.valueBlock.value[0] as asn1js.Sequence;
    const essCertIdV2 = certs.valueBlock.value[0] as asn1js.Sequence;
    // SHA-256 is the DEFAULT hashAlgorithm, so DER leaves it out and certHash comes first.
    const certHash = essCertIdV2.valueBlock.value[0] as asn1js.OctetString;
    const certificateDer = Buffer.from(ecdsa.signer.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(Buffer.from(certHash.getValue()).toString('hex')).toBe(sha256Hex(certificateDer));
    expect(essCertIdV2.valueBlock.value).toHaveLength(2); // certHash and issuerSerial
  });

  it('leaves the reserved room for the CMS, most of it zero padding', () => {
    const [, length1, start2] = ecdsa.signature.byteRange;
    expect(start2 - length1).toBe(2 * DEFAULT_SIGNATURE_LENGTH + 2);
    expect(ecdsa.signature.cms.length).toBeLessThan(DEFAULT_SIGNATURE_LENGTH);
  });

  it('a changed byte inside the signed range makes pdfsig report a digest mismatch', () => {
    const tampered = Buffer.from(ecdsa.pdf);
    const at = tampered.indexOf('Daily SOX control report');
    const [, length1, start2] = ecdsa.signature.byteRange;
    // The signature's own /Reason, written after /Contents: signed, and harmless to the file's structure.
    expect(at < length1 || at >= start2).toBe(true);
    tampered[at] = 'd'.charCodeAt(0);
    const tamperedPath = join(artifacts, 'ecdsa-tampered.pdf');
    writeFileSync(tamperedPath, tampered);

    const { stdout } = run('pdfsig', [tamperedPath]);
    expect(stdout).not.toContain('Signature is Valid.');
    expect(stdout).toContain('Digest Mismatch.');

    const extracted = extractPdfSignature(tampered);
    expect(extracted).not.toBeNull();
    const contentPath = join(scratch, 'tampered-ranges.bin');
    writeFileSync(contentPath, extracted!.signedContent);
    const { status, stderr } = opensslCmsVerify(ecdsa.cmsPath, contentPath, join(artifacts, 'ecdsa-cert.pem'));
    expect(status).not.toBe(0);
    expect(stderr).not.toContain('Verification successful');
  });
});

describe('signed PDF (RSA-2048)', () => {
  it('pdfsig says the signature is valid', () => {
    const { stdout } = run('pdfsig', [rsa.pdfPath]);
    expect(stdout).toContain('Signature Validation: Signature is Valid.');
    expect(stdout).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
  });

  it('openssl verifies the CMS and sees sha256WithRSAEncryption', () => {
    const verified = opensslCmsVerify(rsa.cmsPath, rsa.contentPath, join(artifacts, 'rsa-cert.pem'));
    expect(verified.stderr).toContain('Verification successful');
    const { stdout } = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', rsa.cmsPath]);
    expect(stdout).toContain('sha256WithRSAEncryption');
    expect(stdout).toContain(SIGNING_CERTIFICATE_V2);
  });

  it('qpdf finds no errors', () => {
    expect(run('qpdf', ['--check', rsa.pdfPath]).status).toBe(0);
  });
});

describe('buildDetachedCms', () => {
  it('signs any content, detached, verifiable by openssl', async () => {
    const content = new TextEncoder().encode('manifest bytes, or anything else');
    const cms = await buildDetachedCms(content, ecdsa.signer, new Date('2026-01-02T03:04:05Z'));
    const cmsPath = join(scratch, 'content.p7s');
    const contentPath = join(scratch, 'content.bin');
    writeFileSync(cmsPath, cms);
    writeFileSync(contentPath, content);
    expect(opensslCmsVerify(cmsPath, contentPath, join(artifacts, 'ecdsa-cert.pem')).stderr).toContain(
      'Verification successful',
    );
    const { stdout } = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsPath]);
    expect(stdout).toContain('UTCTIME:Jan  2 03:04:05 2026 GMT');
  });

  it('leaves signing-time out of a PDF signature, as PAdES baseline requires', () => {
    const cmsPath = join(scratch, 'pdf-signature.p7s');
    writeFileSync(cmsPath, ecdsa.signature.cms);
    const { stdout } = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsPath]);
    expect(stdout).toContain('id-smime-aa-signingCertificateV2');
    expect(stdout).toContain('messageDigest');
    expect(stdout).not.toContain('signingTime');
  });
});

describe('extractPdfSignature and coversWholeFile', () => {
  it('the byte ranges of a signed PDF cover the whole file but the /Contents string', () => {
    expect(coversWholeFile(ecdsa.pdf, ecdsa.signature.byteRange)).toBe(true);
    expect(coversWholeFile(rsa.pdf, rsa.signature.byteRange)).toBe(true);
  });

  it('a doctored byte range does not', () => {
    const [a, b, c, d] = ecdsa.signature.byteRange;
    expect(coversWholeFile(ecdsa.pdf, [a, b, c, d - 1])).toBe(false); // stops short of the end
    expect(coversWholeFile(ecdsa.pdf, [a, b - 1, c, d])).toBe(false); // gap reaches outside /Contents
    expect(coversWholeFile(ecdsa.pdf, [a + 1, b - 1, c, d])).toBe(false); // skips the header
    const appended = Buffer.concat([ecdsa.pdf, Buffer.from('\n% appended after signing\n')]);
    expect(coversWholeFile(appended, [a, b, c, d])).toBe(false);
  });

  it('finds nothing in an unsigned PDF, with or without a placeholder', async () => {
    expect(extractPdfSignature(await renderPdf('no placeholder', false))).toBeNull();
    const withPlaceholder = await renderPdf('placeholder only');
    writeFileSync(join(artifacts, 'unsigned-with-placeholder.pdf'), withPlaceholder);
    expect(extractPdfSignature(withPlaceholder)).toBeNull();
  });
});
