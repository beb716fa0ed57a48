/**
 * A booking's confirmation text as the tool sends it: to whom (the caller, or the booked phone when
 * the call is vouched for), with what body, once per booking, and what the agent hears when it fails.
 */

import type { SentText } from '../../../services/core/call/call-session.js';
import type { BusinessProfile } from '../../../services/core/shared/business-profile.js';
import { InProcessUsageCounter } from '../../../services/core/tools/tool-usage.js';
import { RecordingTextSender } from '../../support/recording-text-sender.js';
import { CALLER, makeHarness, NOW, TZ } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const PROFILE = {
  about: 'Plumbing.',
  services: [],
  policies: [],
  faqs: [],
  address: '1 Pipe Lane, Springfield',
};

async function harnessWith(options: { verified?: boolean; profile?: BusinessProfile } = {}) {
  const sender = new RecordingTextSender(() =>
    Object.assign(new Error('Attempt to send to unsubscribed recipient'), { code: 21610 }),
  );
  const kept: SentText[] = [];
  const usage = new InProcessUsageCounter(() => NOW);
  h = await makeHarness({
    verified: options.verified,
    overrides: {
      usage,
      businessNumber: '+12125550100',
      businessProfile: { current: async () => options.profile ?? PROFILE },
      texts: {
        sender,
        enabled: true,
        allowedCountries: ['US', 'CA'],
        usage,
        timezone: TZ,
        now: () => NOW,
        log: { appendText: async (_sid, text) => void kept.push(text) },
      },
    },
  });
  return { sender, kept };
}

const BOOKING = { start: '2026-11-26T10:00', name: 'Jane Doe' };

describe('the booking confirmation text', () => {
  it('goes to the caller with the business, the local time, the address and how to change it; once', async () => {
    const { sender, kept } = await harnessWith();
    const first = await h.run('book_appointment', BOOKING);
    expect(first.text).toBe(
      'Booked for Thursday, November 26 at 10:00 AM (2026-11-26T10:00) for Jane Doe. A text with the details is on its way.',
    );
    const retried = await h.run('book_appointment', BOOKING);
    expect(retried.ok).toBe(true);
    expect(sender.sent).toEqual([
      {
        to: CALLER,
        body:
          'Bolt Plumbing: your appointment is booked for Thursday, November 26 at 10:00 AM. ' +
          'Address: 1 Pipe Lane, Springfield. To change it, call us at +12125550100.',
      },
    ]);
    expect(kept).toEqual([expect.objectContaining({ kind: 'booking-confirmation', to: CALLER, sid: 'SM1' })]);
  });

  it('goes to the phone the booking was made under only on a vouched-for call', async () => {
    const other = '+13105550188';
    const { sender } = await harnessWith({ verified: true });
    await h.run('book_appointment', { ...BOOKING, phone: other });
    expect(sender.sent.map((t) => t.to)).toEqual([other]);
    await h.cleanup();
    const unverified = await harnessWith({ verified: false });
    await h.run('book_appointment', { ...BOOKING, phone: other });
    expect(unverified.sender.sent.map((t) => t.to)).toEqual([CALLER]);
  });

  it('leaves out the address when the profile has none', async () => {
    const { sender } = await harnessWith({ profile: { ...PROFILE, address: undefined } });
    await h.run('book_appointment', BOOKING);
    expect(sender.sent[0]?.body).not.toContain('Address');
  });

  it('a failed text leaves the booking made, and the agent says so', async () => {
    const { sender, kept } = await harnessWith();
    sender.failing = true;
    const result = await h.run('book_appointment', BOOKING);
    expect(result.ok).toBe(true);
    expect(result.text).toContain('I could not send the confirmation text, but the booking is made.');
    expect(h.calendar.events()).toHaveLength(1);
    expect(kept).toEqual([]);
  });
});
