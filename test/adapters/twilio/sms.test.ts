import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { TwilioTexts } from '../../../services/adapters/twilio/sms.js';

const SID = `AC${'a'.repeat(32)}`;
const SERVICE = `MG${'b'.repeat(32)}`;
const BASE = 'https://api.twilio.com';

const seen: Array<{ url: string; form: Record<string, string>; auth: string | null }> = [];
const server = setupServer(
  http.post(`${BASE}/2010-04-01/Accounts/${SID}/Messages.json`, async ({ request }) => {
    const form = Object.fromEntries(new URLSearchParams(await request.text()));
    seen.push({ url: request.url, form, auth: request.headers.get('authorization') });
    if (form.To === '+15005550009')
      return HttpResponse.json(
        { code: 21614, message: "'To' number is not a valid mobile number", status: 400 },
        { status: 400 },
      );
    return HttpResponse.json({ sid: `SM${'c'.repeat(32)}`, status: 'queued', to: form.To }, { status: 201 });
  }),
);

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  seen.length = 0;
});
afterAll(() => server.close());

describe('TwilioTexts', () => {
  it('sends through the Messages API from SMS_FROM, authenticated as the account', async () => {
    const texts = new TwilioTexts({ accountSid: SID, authToken: 'token', from: '+15550001111' });
    await expect(texts.send({ to: '+12025550143', body: 'Booked for Friday.' })).resolves.toEqual({
      sid: `SM${'c'.repeat(32)}`,
    });
    expect(seen).toEqual([
      {
        url: `${BASE}/2010-04-01/Accounts/${SID}/Messages.json`,
        form: { To: '+12025550143', Body: 'Booked for Friday.', From: '+15550001111' },
        auth: `Basic ${Buffer.from(`${SID}:token`).toString('base64')}`,
      },
    ]);
  });

  it('lets a Messaging Service choose the sender (no From)', async () => {
    const texts = new TwilioTexts({
      accountSid: SID,
      authToken: 'token',
      from: '+15550001111',
      messagingServiceSid: SERVICE,
    });
    await texts.send({ to: '+12025550143', body: 'Hi' });
    expect(seen[0]?.form).toEqual({ To: '+12025550143', Body: 'Hi', MessagingServiceSid: SERVICE });
  });

  it('rejects with Twilio’s error when the text is refused', async () => {
    const texts = new TwilioTexts({ accountSid: SID, authToken: 'token', from: '+15550001111' });
    await expect(texts.send({ to: '+15005550009', body: 'Hi' })).rejects.toMatchObject({ code: 21614 });
  });
});
