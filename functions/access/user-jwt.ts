/**
 * A user JWT as a connect event carried it (operator mode): its claims, and whether its issuer's signature holds.
 * Pure (the signature is checked with the issuer's public key inside the token).
 */
import { decode } from '@nats-io/jwt';
import { isObj, str, unixTime } from './answers.js';

export interface UserClaims {
  /** The key that signed it: the account or one of its signing keys. */
  issuer: string;
  /** The account a signing key issued it for (`issuer_account`), or null when the account signed it. */
  issuerAccount: string | null;
  issuedAt: string | null;
  expires: string | null;
  /** The claims' `nats` part: permissions (`pub`, `sub`, `resp`) among others. */
  nats: Record<string, unknown>;
  signatureValid: boolean;
}

/** The claims of a user JWT; null when it is not one (it is then shown as unreadable, never trusted). */
export function userClaims(token: string): UserClaims | null {
  let payload: unknown;
  let signatureValid = true;
  try {
    payload = decode(token);
  } catch {
    signatureValid = false;
    payload = unverifiedPayload(token);
  }
  if (!isObj(payload) || !isObj(payload.nats)) return null;
  return {
    issuer: str(payload.iss) ?? '',
    issuerAccount: str(payload.nats.issuer_account),
    issuedAt: unixTime(payload.iat),
    expires: unixTime(payload.exp),
    nats: payload.nats,
    signatureValid,
  };
}

function unverifiedPayload(token: string): unknown {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}
