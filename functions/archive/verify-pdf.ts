/**
 * The PDF's own signature, checked the way a PDF reader would but without one: the CMS is read with pkijs and
 * the signature checked with node:crypto, so `verify` needs nothing installed besides Node.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { errorMessage } from '../errors.js';
import { coversWholeFile, extractPdfSignature } from '../seal/pdf-signature.js';
import { verifies } from '../seal/signature.js';
import { shortKey, spkiSha256 } from './verify-keys.js';

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/**
 * Problems with the signature embedded in `pdf`, each starting with `name`: present, covering the whole file,
 * made over these bytes, valid, and made by the key the manifest names (`signerKeySha256`).
 */
export function checkPdfSignature(name: string, pdf: Uint8Array, signerKeySha256: string): string[] {
  const signature = extractPdfSignature(pdf);
  if (!signature) return [`${name}: has no embedded signature`];
  const problems: string[] = [];
  if (!coversWholeFile(pdf, signature.byteRange)) {
    problems.push(
      `${name}: the signature's byte range [${signature.byteRange.join(' ')}] does not cover the whole file ` +
        `(${pdf.length} bytes): something was added after signing or left unsigned`,
    );
  }

  let signerInfo: pkijs.SignerInfo;
  let signedData: pkijs.SignedData;
  try {
    const contentInfo = pkijs.ContentInfo.fromBER(signature.cms);
    if (contentInfo.contentType !== OID.signedData)
      return [...problems, `${name}: the signature is not a CMS SignedData`];
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    if (signedData.signerInfos.length !== 1) {
      return [...problems, `${name}: the signature has ${signedData.signerInfos.length} signers, expected one`];
    }
    signerInfo = signedData.signerInfos[0]!;
  } catch (err) {
    return [...problems, `${name}: the signature is not a readable CMS SignedData (${errorMessage(err)})`];
  }

  if (signerInfo.digestAlgorithm.algorithmId !== OID.sha256) {
    return [...problems, `${name}: the signature uses digest ${signerInfo.digestAlgorithm.algorithmId}, not SHA-256`];
  }
  const signedAttrs = signerInfo.signedAttrs;
  if (!signedAttrs) return [...problems, `${name}: the signature has no signed attributes`];

  const claimed = messageDigestOf(signedAttrs);
  const actual = createHash('sha256').update(signature.signedContent).digest('hex');
  if (claimed === null) {
    problems.push(`${name}: the signature has no messageDigest attribute`);
  } else if (claimed !== actual) {
    problems.push(
      `${name}: changed after it was signed (the signed bytes have SHA-256 ${actual}, ` +
        `the signature was made over ${claimed})`,
    );
  }

  const certificateKey = signerCertificateKey(signedData, signerInfo);
  if (!certificateKey) return [...problems, `${name}: the signature does not carry the certificate of its signer`];
  // What is signed is the attributes as a universal SET (RFC 5652 §5.4), not as the [0] field they are stored in.
  const signedAttributes = new Uint8Array(signedAttrs.encodedValue.slice(0));
  signedAttributes[0] = 0x31;
  if (!verifies(signedAttributes, certificateKey, signerInfo.signature.valueBlock.valueHexView))
    problems.push(`${name}: the signature does not verify with the key of the certificate it carries`);

  const certifiedSha256 = spkiSha256(certificateKey);
  if (certifiedSha256 !== signerKeySha256) {
    problems.push(
      `${name}: signed with key ${shortKey(certifiedSha256)}, but the manifest's signer is key ` +
        `${shortKey(signerKeySha256)}`,
    );
  }
  return problems;
}

function messageDigestOf(attributes: pkijs.SignedAndUnsignedAttributes): string | null {
  const value = attributes.attributes.find((a) => a.type === OID.messageDigest)?.values[0];
  return value instanceof asn1js.OctetString ? Buffer.from(value.valueBlock.valueHexView).toString('hex') : null;
}

/** The embedded certificate the SignerInfo names by issuer and serial number (how our signer identifies it). */
function signerCertificateKey(signedData: pkijs.SignedData, signerInfo: pkijs.SignerInfo): KeyObject | null {
  const sid = signerInfo.sid;
  if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return null;
  const certificate = (signedData.certificates ?? []).find(
    (c): c is pkijs.Certificate =>
      c instanceof pkijs.Certificate && c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber),
  );
  if (!certificate) return null;
  try {
    const spki = Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER());
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}
