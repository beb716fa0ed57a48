import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { TwilioCallControl } from '../../../services/adapters/twilio/call-control.js';

const SID = `AC${'a'.repeat(32)}`;
const CALL = 'CA0123456789abcdef0123456789abcdef';
const BASE = 'https://api.twilio.com';
const STAND_IN = 'http://twilio.sim.test:4010';

const seen: Array<{ method: string; url: string; form: URLSearchParams; auth: string | null }> = [];
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  server.resetHandlers();
  seen.length = 0;
});
afterAll(() => server.close());

function callResource(base: string, answer: (form: URLSearchParams) => Response) {
  return http.post(`${base}/2010-04-01/Accounts/${SID}/Calls/:callSid.json`, async ({ request }) => {
    const form = new URLSearchParams(await request.text());
    seen.push({ method: request.method, url: request.url, form, auth: request.headers.get('authorization') });
    return answer(form);
  });
}

const ok = () => HttpResponse.json({ sid: CALL, status: 'in-progress' });
const twilioError = (status: number, code: number, message: string) =>
  HttpResponse.json(
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { status },
  );

const control = (apiUrl?: string) => new TwilioCallControl({ accountSid: SID, authToken: 'token', apiUrl });

describe('TwilioCallControl', () => {
  it('redirects a live call with inline TwiML, authenticated as the account', async () => {
    server.use(callResource(BASE, ok));
    await control().redirect(CALL, '<Response><Dial>+12125550100</Dial></Response>');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe(`${BASE}/2010-04-01/Accounts/${SID}/Calls/${CALL}.json`);
    expect(seen[0]?.form.get('Twiml')).toBe('<Response><Dial>+12125550100</Dial></Response>');
    expect(seen[0]?.auth).toBe(`Basic ${Buffer.from(`${SID}:token`).toString('base64')}`);
  });

  it('hangs up with Status=completed', async () => {
    server.use(callResource(BASE, ok));
    await control().hangUp(CALL);
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({ Status: 'completed' });
  });

  it('tolerates hanging up or redirecting a call that already ended (404 / 21220)', async () => {
    server.use(callResource(BASE, () => twilioError(404, 20404, 'The requested resource was not found')));
    await expect(control().hangUp(CALL)).resolves.toBeUndefined();
    server.use(
      callResource(BASE, () => twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.')),
    );
    await expect(control().redirect(CALL, '<Response/>')).resolves.toBeUndefined();
  });

  it('passes other Twilio errors on', async () => {
    server.use(callResource(BASE, () => twilioError(401, 20003, 'Authenticate')));
    await expect(control().hangUp(CALL)).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it('places a call with the status callback and synchronous answering-machine detection to the beep', async () => {
    server.use(
      http.post(`${BASE}/2010-04-01/Accounts/${SID}/Calls.json`, async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        seen.push({ method: request.method, url: request.url, form, auth: null });
        return HttpResponse.json({ sid: CALL, status: 'queued' }, { status: 201 });
      }),
    );
    const placed = await control().placeCall({
      to: '+12025550143',
      from: '+12125550100',
      url: 'https://voice.example.com/twilio/outbound',
      statusCallback: 'https://voice.example.com/twilio/status',
      machineDetection: true,
    });
    expect(placed).toEqual({ callSid: CALL });
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      To: '+12025550143',
      From: '+12125550100',
      Url: 'https://voice.example.com/twilio/outbound',
      Method: 'POST',
      StatusCallback: 'https://voice.example.com/twilio/status',
      StatusCallbackMethod: 'POST',
      MachineDetection: 'DetectMessageEnd',
    });
  });

  it('sends every request to TWILIO_API_URL when set', async () => {
    server.use(callResource(STAND_IN, ok));
    await control(`${STAND_IN}/`).hangUp(CALL);
    expect(seen[0]?.url).toBe(`${STAND_IN}/2010-04-01/Accounts/${SID}/Calls/${CALL}.json`);
  });
});
