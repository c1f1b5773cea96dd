import { decode } from '@nats-io/jwt';

/** A user's public key (operator mode): 'U' and 55 more base32 characters. */
const USER_KEY = /^U[A-Z2-7]{55}$/;

/**
 * Whom a failed login claimed to be, from the user JWT it presented (operator mode): the JWT's subject (the user's
 * public key) and its name. The event's own `user` is the key the client signed with, which a client holding a
 * copied JWT but not its seed chooses freely; the JWT says whose login was tried. The login failed, so this is a
 * claim, like a user name tried: the JWT must carry a valid issuer signature and a user key, or nothing is taken.
 */
export function claimedUser(jwt: string): { user: string; userName?: string } | null {
  let claims: { sub?: unknown; name?: unknown; nats?: { type?: unknown } };
  try {
    claims = decode(jwt) as typeof claims;
  } catch {
    return null;
  }
  if (typeof claims.sub !== 'string' || !USER_KEY.test(claims.sub) || claims.nats?.type !== 'user') return null;
  const name = typeof claims.name === 'string' && claims.name !== '' && claims.name !== claims.sub ? claims.name : null;
  return { user: claims.sub, ...(name === null ? {} : { userName: name }) };
}
