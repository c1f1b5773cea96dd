import { createHash, type KeyObject, randomFillSync, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithm } from './algorithms.js';
import type { SigningAlgorithm } from './signer.js';

export const LOCAL_SIGNER_COMMON_NAME = 'nats-sox-reports local signer';
const CERTIFICATE_VALIDITY_YEARS = 10;

/** What can sign a certificate: a local key, or a KMS key that never leaves KMS. */
export interface DigestSigner {
  algorithm: SigningAlgorithm;
  signDigest(digest: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_KEY_USAGE = '2.5.29.15';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
/** digitalSignature (bit 0) and nonRepudiation (bit 1): what a key that signs evidence does. */
// keyCertSign (bit 5) and CA:TRUE as well: a self-signed certificate is its own trust anchor, and NSS (pdfsig,
// Firefox, many PDF readers) trusts an imported self-signed certificate only when it says it may be one.
const KEY_USAGE_SIGNING_BITS = 0xc4;
/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const FIRST_GENERALIZED_TIME_YEAR = 2050;

function distinguishedName(organization: string): pkijs.RelativeDistinguishedNames {
  const attributes = organization === '' ? [] : [[OID_ORGANIZATION, organization] as const];
  const rdns = [...attributes, [OID_COMMON_NAME, LOCAL_SIGNER_COMMON_NAME] as const].map(
    ([type, value]) =>
      new asn1js.Set({
        value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()],
      }),
  );
  // pkijs would put every attribute into one multi-valued RDN ("O=… + CN=…"); one RDN per attribute is what
  // every CA does, so the Name is encoded here and handed over already built.
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

function certificateTime(value: Date): pkijs.Time {
  const type =
    value.getUTCFullYear() >= FIRST_GENERALIZED_TIME_YEAR ? pkijs.TimeType.GeneralizedTime : pkijs.TimeType.UTCTime;
  return new pkijs.Time({ type, value });
}

function yearsLater(from: Date, years: number): Date {
  const later = new Date(from.getTime());
  later.setUTCFullYear(later.getUTCFullYear() + years);
  return later;
}

/** 16 random bytes with the top bit clear (positive) and the next set (no leading zero byte to strip). */
function randomPositiveSerial(): ArrayBuffer {
  const serial = new Uint8Array(16);
  randomFillSync(serial);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial.buffer;
}

/**
 * A self-signed X.509 v3 certificate (PEM) for `publicKey`, signed through `signer` (which must hold the matching
 * private key): CN "nats-sox-reports local signer", O `subject` (omitted when empty), ten years from `now`.
 */
export async function selfSignedCertificateFor(
  publicKey: KeyObject,
  signer: DigestSigner,
  subject: string,
  now: Date,
): Promise<string> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2; // v3: extensions follow
  certificate.serialNumber = new asn1js.Integer({ valueHex: randomPositiveSerial() });
  certificate.subject = distinguishedName(subject);
  certificate.issuer = distinguishedName(subject);
  certificate.notBefore = certificateTime(now);
  certificate.notAfter = certificateTime(yearsLater(now, CERTIFICATE_VALIDITY_YEARS));
  certificate.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: 'spki', format: 'der' }));
  const keyUsage = new asn1js.BitString({ valueHex: Uint8Array.of(KEY_USAGE_SIGNING_BITS).buffer, unusedBits: 2 });
  const basicConstraints = new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 });
  certificate.extensions = [
    new pkijs.Extension({
      extnID: OID_KEY_USAGE,
      critical: true,
      extnValue: keyUsage.toBER(false),
      parsedValue: keyUsage,
    }),
    new pkijs.Extension({
      extnID: OID_BASIC_CONSTRAINTS,
      critical: true,
      extnValue: basicConstraints.toSchema().toBER(false),
      parsedValue: basicConstraints,
    }),
  ];
  certificate.signature = signatureAlgorithm(signer.algorithm);
  certificate.signatureAlgorithm = signatureAlgorithm(signer.algorithm);
  const tbs = new Uint8Array(certificate.encodeTBS().toBER(false));
  const signature = await signer.signDigest(createHash('sha256').update(tbs).digest());
  certificate.signatureValue = new asn1js.BitString({ valueHex: signature });
  const pem = new X509Certificate(Buffer.from(certificate.toSchema(true).toBER(false)));
  // A signer holding another key than the one certified would make a certificate nothing can verify.
  if (!pem.verify(publicKey)) throw new Error('the certificate signature does not verify with the key it certifies');
  return pem.toString();
}
