/**
 * A stand-in for Resend's `POST /emails` (`RESEND_API_URL`) that can be down: it answers 503 while
 * `down`. Otherwise it behaves as Resend documents idempotency keys: a key is remembered for 24
 * hours; a repeat within them answers the first email's id and sends nothing; the same key with a
 * different body within them is refused (409 `invalid_idempotent_request`); after them the key is
 * new again and the email is sent again. `sent` lists every email really sent, so a double send is
 * visible to a test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long Resend remembers an idempotency key. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SentEmail {
  id: string;
  key: string | undefined;
  to: string;
  subject: string;
  text: string;
  at: number;
}

export interface ResendStandIn {
  url: string;
  down: boolean;
  /** Requests answered 503. */
  refused: number;
  /** Every email really sent, in order (a replay within the window adds nothing). */
  sent: SentEmail[];
  close(): Promise<void>;
}

export async function startResendStandIn(options: { now?: () => number } = {}): Promise<ResendStandIn> {
  const now = options.now ?? Date.now;
  const stand: Omit<ResendStandIn, 'url' | 'close'> = { down: false, refused: 0, sent: [] };
  /** Key → the email it sent and the body it came with, while the window lasts. */
  const keys = new Map<string, { email: SentEmail; body: string }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/emails')
        return reply(404, { statusCode: 404, name: 'not_found', message: 'Not found' });
      if (stand.down) {
        stand.refused += 1;
        return reply(503, { statusCode: 503, name: 'internal_server_error', message: 'Service unavailable' });
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const email = JSON.parse(raw) as { to: string | string[]; subject: string; text: string };
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' ? header : undefined;
      const at = now();
      const remembered = key === undefined ? undefined : keys.get(key);
      if (remembered && at - remembered.email.at < IDEMPOTENCY_WINDOW_MS) {
        if (remembered.body !== raw) {
          return reply(409, {
            statusCode: 409,
            name: 'invalid_idempotent_request',
            message: 'Same idempotency key used with a different request payload.',
          });
        }
        return reply(200, { id: remembered.email.id });
      }
      const sent: SentEmail = {
        id: `em_${stand.sent.length + 1}`,
        key,
        to: String(email.to),
        subject: email.subject,
        text: email.text,
        at,
      };
      stand.sent.push(sent);
      if (key !== undefined) keys.set(key, { email: sent, body: raw });
      return reply(200, { id: sent.id });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stand, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  }) as ResendStandIn;
}
