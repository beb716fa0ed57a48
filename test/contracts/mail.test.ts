import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { MemoryOutbox, OutboxMailer } from '../../services/adapters/memory/outbox-mailer.js';
import { ResendMailer } from '../../services/adapters/resend/mailer.js';
import { describeMailerContract } from './mail.contract.js';

const FROM = 'Bolt <desk@example.com>';
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describeMailerContract('OutboxMailer (local stack)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-contract-'));
  dirs.push(dir);
  return {
    mailer: new OutboxMailer({ dir, from: FROM }),
    delivered: async () =>
      (await OutboxMailer.read(dir)).map(({ to, subject, text }) => ({ to, subject, text })),
  };
});

// The tests' mailer (TestMailer) delivers the same way to a list in memory.
describeMailerContract('OutboxMailer over an outbox in memory (the tests)', async () => {
  const outbox = new MemoryOutbox();
  return {
    mailer: new OutboxMailer({ outbox, from: FROM }),
    delivered: async () => outbox.messages.map(({ to, subject, text }) => ({ to, subject, text })),
  };
});

// Resend's API stood in by msw, with Resend's documented idempotency: a repeated Idempotency-Key
// answers the first response and sends nothing new.
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterAll(() => server.close());

describeMailerContract('ResendMailer (Resend API stood in by msw)', async () => {
  const accepted: Array<{ to: string; subject: string; text: string }> = [];
  const byKey = new Map<string, string>();
  server.resetHandlers(
    http.post('https://api.resend.com/emails', async ({ request }) => {
      const key = request.headers.get('idempotency-key');
      const known = key ? byKey.get(key) : undefined;
      if (known) return HttpResponse.json({ id: known });
      const body = (await request.json()) as { to: string; subject: string; text: string };
      const id = `em_${accepted.length + 1}`;
      accepted.push({ to: body.to, subject: body.subject, text: body.text });
      if (key) byKey.set(key, id);
      return HttpResponse.json({ id });
    }),
  );
  return {
    mailer: new ResendMailer({ apiKey: 're_test', from: FROM, sleep: async () => {} }),
    delivered: async () => [...accepted],
  };
});
