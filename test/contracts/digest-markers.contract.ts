/**
 * What every digest marker store promises (`DigestMarkers` in services/core/ports/call-store.ts):
 * one business day's digest is claimed by one run at a time; a claim given back, or left stale by
 * a run that died, can be taken again, and a sent digest never is; the first message frozen for a
 * day is the one every retry sends.
 */
import type { DigestCounts } from '../../services/core/after-call/digest-counts.js';
import type { DigestMarkers } from '../../services/core/ports/call-store.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = '2026-11-24';
const STALE_MS = 15 * 60 * 1000;

const message = {
  to: 'owner@example.com',
  subject: 'Your day',
  text: 'Two calls.',
  idempotencyKey: 'digest-k',
};
const counts: DigestCounts = {
  calls: 2,
  inbound: 2,
  outbound: 0,
  answered: 2,
  missed: 0,
  failedOver: 0,
  leads: 1,
  appointments: 1,
  followUps: 0,
  late: 0,
};

export function describeDigestMarkersContract(name: string, makeMarkers: () => Promise<DigestMarkers>): void {
  describe(`digest markers contract: ${name}`, () => {
    test('a day is claimed by one run; another day is claimed on its own', async () => {
      const markers = await makeMarkers();
      expect(await markers.claim(DAY, T0, STALE_MS)).toEqual({ claimed: true });
      expect(await markers.claim(DAY, T0 + 1_000, STALE_MS)).toEqual({ claimed: false });
      expect(await markers.claim('2026-11-23', T0 + 1_000, STALE_MS)).toEqual({ claimed: true });
    });

    test('a sent day is never claimed again, and a release does not undo it', async () => {
      const markers = await makeMarkers();
      await markers.claim(DAY, T0, STALE_MS);
      expect(await markers.sentAt(DAY)).toBeUndefined();
      await markers.markSent(DAY, T0 + 2_000);
      expect(await markers.sentAt(DAY)).toBe(T0 + 2_000);
      await markers.release(DAY);
      expect((await markers.claim(DAY, T0 + 86_400_000, STALE_MS)).claimed).toBe(false);
      expect(await markers.sentAt(DAY)).toBe(T0 + 2_000);
    });

    test('a released claim is taken again at once, with the message frozen before', async () => {
      const markers = await makeMarkers();
      await markers.claim(DAY, T0, STALE_MS);
      expect(await markers.freeze(DAY, message, counts)).toEqual({ message, counts });
      await markers.release(DAY);
      expect(await markers.claim(DAY, T0 + 1, STALE_MS)).toEqual({ claimed: true, message, counts });
    });

    test('the first frozen message and counts stand, whatever a retry composes', async () => {
      const markers = await makeMarkers();
      await markers.claim(DAY, T0, STALE_MS);
      await markers.freeze(DAY, message, counts);
      expect(
        await markers.freeze(DAY, { ...message, text: 'Three calls.' }, { ...counts, calls: 3 }),
      ).toEqual({
        message,
        counts,
      });
    });

    test('a claim left by a run that died is taken over once it is stale, not before', async () => {
      const markers = await makeMarkers();
      await markers.claim(DAY, T0, STALE_MS);
      expect((await markers.claim(DAY, T0 + STALE_MS - 1, STALE_MS)).claimed).toBe(false);
      expect((await markers.claim(DAY, T0 + STALE_MS + 1, STALE_MS)).claimed).toBe(true);
      expect((await markers.claim(DAY, T0 + STALE_MS + 2, STALE_MS)).claimed).toBe(false);
    });

    test('a message is frozen only for a claimed day', async () => {
      const markers = await makeMarkers();
      await expect(markers.freeze(DAY, message, counts)).rejects.toThrow();
    });
  });
}
