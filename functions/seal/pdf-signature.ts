/// <reference types="pdfkit" />
/**
 * The PDF's own signature: a detached CMS (CAdES) SignedData in the signature dictionary's /Contents, with
 * subfilter ETSI.CAdES.detached and the ESS signing-certificate-v2 attribute, so pdfsig, Acrobat and openssl
 * check report.pdf without our code. The signature value always comes from the signer port (a KMS key works).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { pdfkitAddPlaceholder } from '@signpdf/placeholder-pdfkit';
import { SignPdf } from '@signpdf/signpdf';
import { Signer as SignPdfSigner, SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithm } from './algorithms.js';
import type { Signer } from './signer.js';

/** Room in /Contents, in bytes: an RSA-3072 certificate and signature take about 2 KB, so this leaves plenty. */
export const DEFAULT_SIGNATURE_LENGTH = 16_384;

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

export interface SignatureInfo {
  reason: string;
  name: string;
  location?: string;
  contactInfo?: string;
  /** Bytes reserved for the CMS; the hex string in the file is twice as long. */
  signatureLength?: number;
}

/**
 * Adds an empty, invisible signature field to the current page; call it once, after the last page is added and
 * before `doc.end()`. `signPdf` later fills it in.
 */
export function addSignaturePlaceholder(doc: PDFKit.PDFDocument, info: SignatureInfo): void {
  // The placeholder hangs its widget on `doc.page`; without a page pdfkit would fail somewhere less readable.
  if (!(doc as unknown as { page?: unknown }).page) throw new Error('add a page before the signature placeholder');
  pdfkitAddPlaceholder({
    pdf: doc,
    // Declared as required by the package's types, but never read: the placeholder goes into the live document.
    pdfBuffer: Buffer.alloc(0),
    reason: info.reason,
    name: info.name,
    // The placeholder writes `new String(value)`, so a missing value would appear as "undefined" in the PDF.
    location: info.location ?? '',
    contactInfo: info.contactInfo ?? '',
    signatureLength: info.signatureLength ?? DEFAULT_SIGNATURE_LENGTH,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
  });
}

/** Fills the placeholder left by `addSignaturePlaceholder` with a PAdES B-B signature over the whole file. */
export async function signPdf(pdf: Uint8Array, signer: Signer): Promise<Uint8Array> {
  return new SignPdf().sign(Buffer.from(pdf), new PortCmsSigner(signer));
}

/** Adapts the signer port to @signpdf's signer contract: it receives the bytes of the byte ranges. */
class PortCmsSigner extends SignPdfSigner {
  readonly #signer: Signer;

  constructor(signer: Signer) {
    super();
    this.#signer = signer;
  }

  // PAdES baseline (ETSI EN 319 142-1) forbids the CMS signing-time attribute: the claimed time is the
  // signature dictionary's /M, which the placeholder writes.
  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    return Buffer.from(await buildDetachedCms(pdfBuffer, this.#signer));
  }
}

/**
 * A DER ContentInfo holding a detached SignedData over `content`: signed attributes contentType, messageDigest,
 * signingCertificateV2 and, when given (CAdES use outside a PDF), signingTime; the signature is
 * `signer.signDigest(SHA-256(DER of the attribute SET))`.
 */
export async function buildDetachedCms(content: Uint8Array, signer: Signer, signingTime?: Date): Promise<Uint8Array> {
  const certificateDer = new Uint8Array(new X509Certificate(signer.certificatePem).raw);
  const certificate = pkijs.Certificate.fromBER(certificateDer);

  const attributes = sortedForDer([
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    ...(signingTime ? [attribute(OID.signingTime, cmsTime(signingTime))] : []),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: sha256(content) })),
    attribute(OID.signingCertificateV2, signingCertificateV2(certificateDer, certificate)),
  ]);
  // What is signed is the attributes as a universal SET (RFC 5652 §5.4), not as the [0] IMPLICIT field.
  const signedAttributesDer = new Uint8Array(new asn1js.Set({ value: attributes.map((a) => a.toSchema()) }).toBER());
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
  assertSameAttributeEncoding(signedAttrs, signedAttributesDer);

  const signature = await signer.signDigest(sha256(signedAttributesDer));

  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [sha256Algorithm()],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: [certificate],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
        digestAlgorithm: sha256Algorithm(),
        signedAttrs,
        signatureAlgorithm: signatureAlgorithm(signer.algorithm),
        signature: new asn1js.OctetString({ valueHex: signature }),
      }),
    ],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  const cms = new Uint8Array(contentInfo.toSchema().toBER());
  assertCertificateKept(cms, certificateDer);
  return cms;
}

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime after. */
function cmsTime(date: Date): asn1js.AsnType {
  return date.getUTCFullYear() < 2050
    ? new asn1js.UTCTime({ valueDate: date })
    : new asn1js.GeneralizedTime({ valueDate: date });
}

/**
 * RFC 5035 SigningCertificateV2 { certs: [ESSCertIDv2 { certHash, issuerSerial }] }. hashAlgorithm is left out
 * because SHA-256 is its DEFAULT, and DER forbids encoding a default value.
 */
function signingCertificateV2(certificateDer: Uint8Array, certificate: pkijs.Certificate): asn1js.Sequence {
  const issuerSerial = new asn1js.Sequence({
    value: [
      new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: certificate.issuer })] }).toSchema(),
      certificate.serialNumber,
    ],
  });
  const essCertIdV2 = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: sha256(certificateDer) }), issuerSerial],
  });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
}

/**
 * DER orders a SET OF by the encodings of its elements. pkijs keeps the given order, and verifiers that re-encode
 * the signed attributes (OpenSSL, NSS) would otherwise hash other bytes than we signed.
 */
function sortedForDer(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER()) }));
  encoded.sort((x, y) => compareDerElements(x.der, y.der));
  return encoded.map((e) => e.a);
}

/** X.690 §11.6: compare as octet strings, the shorter padded at its end with zero octets. */
function compareDerElements(x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The [0] field written into SignerInfo must be byte for byte the SET we signed, but for its tag. */
function assertSameAttributeEncoding(signedAttrs: pkijs.SignedAndUnsignedAttributes, signed: Uint8Array): void {
  const written = new Uint8Array(signedAttrs.toSchema().toBER());
  written[0] = 0x31;
  if (!Buffer.from(written).equals(signed))
    throw new Error('signed attributes would be written differently from what was signed');
}

/** The certHash in signingCertificateV2 names the original DER; the embedded copy must not be re-encoded. */
function assertCertificateKept(cms: Uint8Array, certificateDer: Uint8Array): void {
  if (Buffer.from(cms).indexOf(certificateDer) === -1)
    throw new Error('the certificate changed while being embedded in the CMS');
}

function sha256Algorithm(): pkijs.AlgorithmIdentifier {
  // RFC 5754 §2: the SHA-2 digest identifiers carry no parameters.
  return new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export type ByteRange = [number, number, number, number];

export interface PdfSignature {
  byteRange: ByteRange;
  /** The bytes the signature covers: the two byte ranges, concatenated. */
  signedContent: Uint8Array;
  /** The CMS ContentInfo, DER, without the zero padding of /Contents. */
  cms: Uint8Array;
}

/**
 * The last signature of the file (the one that covers the most of it). The /Contents string is found through
 * the byte range itself, since the gap between the two ranges is by definition that string.
 */
export function extractPdfSignature(pdf: Uint8Array): PdfSignature | null {
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const byteRange = lastByteRange(bytes);
  if (!byteRange) return null;
  const [start1, length1, start2, length2] = byteRange;
  if (start1 + length1 >= start2 || start2 + length2 > bytes.length) return null;
  const hole = bytes.subarray(start1 + length1, start2).toString('latin1');
  const hex = /^<([0-9A-Fa-f]*)>$/.exec(hole)?.[1];
  if (hex === undefined || hex.length % 2 !== 0) return null;
  const cms = trimToDerLength(new Uint8Array(Buffer.from(hex, 'hex')));
  if (!cms) return null;
  const signedContent = new Uint8Array(length1 + length2);
  signedContent.set(bytes.subarray(start1, start1 + length1), 0);
  signedContent.set(bytes.subarray(start2, start2 + length2), length1);
  return { byteRange, signedContent, cms };
}

/**
 * True when the byte ranges start at 0, end at the end of the file, and leave out nothing but the /Contents hex
 * string: anything appended after signing, or any other gap, makes it false.
 */
export function coversWholeFile(pdf: Uint8Array, byteRange: ByteRange): boolean {
  const [start1, length1, start2, length2] = byteRange;
  if (start1 !== 0 || length1 <= 0 || start2 <= length1 || length2 < 0) return false;
  if (start2 + length2 !== pdf.length) return false;
  const hole = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).subarray(length1, start2).toString('latin1');
  return /^<[0-9A-Fa-f]*>$/.test(hole);
}

function lastByteRange(bytes: Buffer): ByteRange | null {
  const at = bytes.lastIndexOf('/ByteRange');
  if (at === -1) return null;
  // An unsigned placeholder (`/ByteRange [0 /********** ...]`) does not match and yields null.
  const match = /^\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(
    bytes.subarray(at, at + 120).toString('latin1'),
  );
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4])];
}

/** Cuts the zero padding after the DER SEQUENCE, using its definite length (DER has no other kind). */
function trimToDerLength(bytes: Uint8Array): Uint8Array | null {
  if (bytes[0] !== 0x30 || bytes[1] === undefined) return null;
  const first = bytes[1];
  let headerLength = 2;
  let contentLength = first;
  if (first & 0x80) {
    const lengthOctets = first & 0x7f;
    if (lengthOctets === 0 || lengthOctets > 4) return null;
    contentLength = 0;
    for (let i = 0; i < lengthOctets; i++) contentLength = contentLength * 256 + (bytes[2 + i] ?? Number.NaN);
    headerLength += lengthOctets;
  }
  const total = headerLength + contentLength;
  return Number.isFinite(total) && total <= bytes.length ? bytes.subarray(0, total) : null;
}
