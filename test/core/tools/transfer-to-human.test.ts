/**
 * The warm transfer as the tool asks for it: the whisper URL on `<Number>`, ringback for the caller
 * (`answerOnBridge`), and the owner's settings in the business profile (on or off, hours, number),
 * with the number held to OUTBOUND_ALLOWED_COUNTRIES.
 */
import {
  type BusinessProfile,
  parseBusinessProfile,
} from '../../../services/core/shared/business-profile.js';
import { CALL_SID, makeHarness, OWNER } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const PUBLIC_URL = 'https://voice.example.com';

function profile(transfer: unknown): { current: () => Promise<BusinessProfile> } {
  const parsed = parseBusinessProfile(JSON.stringify({ about: 'Plumbing in Springfield.', transfer }));
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return { current: async () => parsed.profile };
}

async function harnessWith(transfer?: unknown) {
  h = await makeHarness({
    overrides: {
      publicUrl: PUBLIC_URL,
      allowedCountries: ['US', 'CA'],
      ...(transfer === undefined ? {} : { businessProfile: profile(transfer) }),
    },
  });
  return h;
}

describe('transfer_to_human, warm', () => {
  it('dials with a whisper on the owner’s leg and ringback for the caller, reporting to dial-result', async () => {
    await harnessWith();
    const result = await h.run('transfer_to_human', { reason: 'a quote' });
    expect(result).toEqual({ ok: true, text: 'Transferring the call now.', endsCall: 'transfer' });
    expect(h.callControl.redirects[0]?.twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Say>Connecting you now. Please hold while I let them know who is calling.</Say>' +
        `<Dial timeout="25" answerOnBridge="true" action="${PUBLIC_URL}/twilio/dial-result" method="POST">` +
        `<Number url="${PUBLIC_URL}/twilio/whisper?call=${CALL_SID}" method="POST">${OWNER}</Number></Dial>` +
        '<Say>Sorry, nobody at Bolt Plumbing could take the call. We will call you back. Goodbye.</Say>' +
        '<Hangup/></Response>',
    );
  });

  it('dials the profile’s transfer number instead of OWNER_PHONE', async () => {
    await harnessWith({ phone: '+14155550123' });
    await h.run('transfer_to_human', {});
    expect(h.callControl.redirects[0]?.twiml).toContain('>+14155550123</Number>');
  });

  it('turned off by the owner: offers a message and leaves the call alone', async () => {
    await harnessWith({ enabled: false });
    const result = await h.run('transfer_to_human', {});
    expect(result.ok).toBe(false);
    expect(result.endsCall).toBeUndefined();
    expect(result.text).toBe(
      'Nobody is taking calls directly right now. I can take a message and have someone call you back.',
    );
    expect(h.callControl.redirects).toEqual([]);
  });

  it('only within the transfer hours (the harness clock is Wednesday 10:10 in New York)', async () => {
    await harnessWith({ hours: 'mon-fri 13:00-17:00' });
    const closed = await h.run('transfer_to_human', {});
    expect(closed.text).toBe(
      'Nobody can take calls at this hour. I can take a message and have someone call you back.',
    );
    expect(h.callControl.redirects).toEqual([]);
    await h.cleanup();
    await harnessWith({ hours: 'wed 10:00-10:30' });
    expect((await h.run('transfer_to_human', {})).ok).toBe(true);
    expect(h.callControl.redirects).toHaveLength(1);
  });

  it.each([
    ['outside OUTBOUND_ALLOWED_COUNTRIES', '+447911123456'],
    ['premium-rate', '+19005550123'],
  ])('refuses a transfer number %s and dials nothing', async (_, phone) => {
    await harnessWith({ phone });
    const result = await h.run('transfer_to_human', {});
    expect(result).toEqual({
      ok: false,
      text: 'I cannot put you through just now. I can take a message and have someone call you back.',
    });
    expect(h.callControl.redirects).toEqual([]);
  });
});

describe('the profile’s transfer settings', () => {
  it.each([
    [{ hours: 'weekdays 9-5' }, /transfer\.hours/],
    [{ phone: '555-0100' }, /transfer\.phone.*E\.164/],
    [{ enabled: 'no' }, /transfer\.enabled/],
    [{ number: '+15550100' }, /transfer/],
  ])('refuses %j', (transfer, problem) => {
    const parsed = parseBusinessProfile(JSON.stringify({ about: 'x', transfer }));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems.join('; ')).toMatch(problem);
  });
});
