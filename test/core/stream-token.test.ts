import { createHash } from 'node:crypto';
import { hashStreamToken, newStreamToken } from '../../services/core/call/stream-token.js';

describe('stream tokens', () => {
  test('are 32 random bytes in base64url, different every time', () => {
    const a = newStreamToken();
    const b = newStreamToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  test('hash to SHA-256 hex', () => {
    const token = newStreamToken();
    expect(hashStreamToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashStreamToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});
