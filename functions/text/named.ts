/**
 * An identity as documents show it: in operator (JWT) mode the JWT's name with the start of the public key beside
 * it (`alice (UC4Y…)`); the key (or configured name) alone where no name is known.
 */
export function named(key: string, name: string | undefined): string {
  if (name === undefined || name === '' || name === key) return key;
  return `${name} (${key.length > 8 ? `${key.slice(0, 4)}…` : key})`;
}
