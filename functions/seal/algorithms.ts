import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SigningAlgorithm } from './signer.js';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** The X.509/CMS signature algorithm identifier of a signer's algorithm. */
export function signatureAlgorithm(algorithm: SigningAlgorithm): pkijs.AlgorithmIdentifier {
  switch (algorithm) {
    case 'ECDSA_SHA_256':
      // RFC 5758 §3.2: ECDSA identifiers have no parameters at all.
      return new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 });
    case 'RSASSA_PKCS1_V1_5_SHA_256':
      // RFC 4055 §5: the RSA PKCS#1 v1.5 identifiers carry an explicit NULL.
      return new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_WITH_RSA, algorithmParams: new asn1js.Null() });
  }
}
