/**
 * A stand-in for Resend's `POST /emails` (`RESEND_API_URL`) that can be down: it answers 503 while
 * `down`, and otherwise accepts each idempotency key once (a repeat with the same key answers the
 * first email's id, as Resend does), so a test can count the emails really sent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ResendStandIn {
  url: string;
  down: boolean;
  /** Requests answered 503. */
  refused: number;
  /** Emails accepted, one per idempotency key. */
  accepted: Map<string, { to: string; subject: string; text: string }>;
  close(): Promise<void>;
}

export async function startResendStandIn(): Promise<ResendStandIn> {
  const stand: Omit<ResendStandIn, 'url' | 'close'> = { down: false, refused: 0, accepted: new Map() };
  let next = 0;
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
      const email = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        to: string | string[];
        subject: string;
        text: string;
      };
      const key = String(req.headers['idempotency-key'] ?? `no-key-${++next}`);
      if (!stand.accepted.has(key)) {
        stand.accepted.set(key, { to: String(email.to), subject: email.subject, text: email.text });
      }
      return reply(200, { id: `em_${[...stand.accepted.keys()].indexOf(key) + 1}` });
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
