import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { EmailSendError, ResendMailer } from '../../../services/adapters/resend/mailer.js';

const seen: Request[] = [];
const bodies: unknown[] = [];
const server = setupServer();
const sleeps: number[] = [];

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  server.resetHandlers();
  seen.length = 0;
  bodies.length = 0;
  sleeps.length = 0;
});
afterAll(() => server.close());

const RESEND = 'https://api.resend.com';

/** Answers the queued responses in order, recording each request. */
function emails(base: string, ...answers: Array<() => Response>) {
  let i = 0;
  return http.post(`${base}/emails`, async ({ request }) => {
    seen.push(request.clone());
    bodies.push(await request.json());
    const answer = answers[Math.min(i++, answers.length - 1)];
    return answer ? answer() : HttpResponse.json({ id: 'x' });
  });
}

/** An error answer in the shape the Resend API sends. */
function resendError(status: number, name: string, message: string, headers: Record<string, string> = {}) {
  return () => HttpResponse.json({ statusCode: status, name, message }, { status, headers });
}

const mailer = (baseUrl?: string) =>
  new ResendMailer({
    apiKey: 're_test',
    from: 'Bolt <desk@example.com>',
    baseUrl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

const message = { to: 'jane@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: 'booking:CA1:x' };

describe('ResendMailer', () => {
  it('sends the message with the API key and the idempotency key', async () => {
    server.use(emails(RESEND, () => HttpResponse.json({ id: 'em_1' })));
    expect(await mailer().send(message)).toEqual({ id: 'em_1' });
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer re_test');
    expect(seen[0]?.headers.get('idempotency-key')).toBe('booking:CA1:x');
    expect(bodies[0]).toEqual({
      from: 'Bolt <desk@example.com>',
      to: 'jane@example.com',
      subject: 'Hi',
      text: 'Hello',
    });
  });

  it('retries once after a 429 and succeeds with the same idempotency key', async () => {
    server.use(
      emails(
        RESEND,
        resendError(429, 'rate_limit_exceeded', 'Too many requests', { 'retry-after': '1' }),
        () => HttpResponse.json({ id: 'em_2' }),
      ),
    );
    expect(await mailer().send(message)).toEqual({ id: 'em_2' });
    expect(seen).toHaveLength(2);
    expect(seen.map((r) => r.headers.get('idempotency-key'))).toEqual(['booking:CA1:x', 'booking:CA1:x']);
    expect(sleeps).toEqual([1000]); // honours retry-after
  });

  it('backs off on 5xx and gives up after the last attempt with the status', async () => {
    server.use(emails(RESEND, () => new HttpResponse('upstream broke', { status: 502 })));
    const error = await mailer()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailSendError);
    expect(error).toMatchObject({ status: 502 });
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('does not retry a request Resend rejects (422)', async () => {
    server.use(emails(RESEND, resendError(422, 'validation_error', 'Invalid `to` field.')));
    await expect(mailer().send(message)).rejects.toMatchObject({ status: 422 });
    expect(seen).toHaveLength(1);
  });

  it('retries a 409 for a concurrent request with the same key, but not a 409 for different content', async () => {
    server.use(
      emails(RESEND, resendError(409, 'concurrent_idempotent_requests', 'Same key in progress'), () =>
        HttpResponse.json({ id: 'em_409' }),
      ),
    );
    expect(await mailer().send(message)).toEqual({ id: 'em_409' });
    expect(seen).toHaveLength(2);

    server.resetHandlers();
    seen.length = 0;
    server.use(emails(RESEND, resendError(409, 'invalid_idempotent_request', 'Same key, different payload')));
    await expect(mailer().send(message)).rejects.toMatchObject({ status: 409 });
    expect(seen).toHaveLength(1);
  });

  it('retries a network failure', async () => {
    server.use(
      emails(
        RESEND,
        () => HttpResponse.error(),
        () => HttpResponse.json({ id: 'em_3' }),
      ),
    );
    expect(await mailer().send(message)).toEqual({ id: 'em_3' });
  });

  it('uses RESEND_API_URL when set', async () => {
    server.use(emails('http://resend.sim.test', () => HttpResponse.json({ id: 'em_4' })));
    expect(await mailer('http://resend.sim.test').send({ ...message, html: '<p>Hello</p>' })).toEqual({
      id: 'em_4',
    });
    expect(bodies[0]).toMatchObject({ html: '<p>Hello</p>' });
  });
});

describe('ResendMailer header safety', () => {
  it('strips CR, LF and tab from the subject, the address and the sender', async () => {
    server.use(emails(RESEND, () => HttpResponse.json({ id: 'em_h' })));
    const unsafe = new ResendMailer({ apiKey: 're_test', from: 'Bolt\r\n <desk@example.com>' });
    await unsafe.send({
      to: 'jane@example.com\r\nBcc: victim@example.com',
      subject: 'Leak\r\nBcc: all@example.com\tX',
      text: 'line one\nline two',
    });
    expect(bodies[0]).toEqual({
      from: 'Bolt <desk@example.com>',
      to: 'jane@example.comBcc: victim@example.com',
      subject: 'LeakBcc: all@example.comX',
      text: 'line one\nline two',
    });
  });
});
