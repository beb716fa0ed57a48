import { createHash, randomBytes } from 'node:crypto';

/** A one-time stream token: 32 random bytes, base64url. Only its hash is ever stored. */
export function newStreamToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of the token, hex: what the call session keeps and the bridge compares. */
export function hashStreamToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
