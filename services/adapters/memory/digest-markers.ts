import type { DigestCounts } from '../../core/after-call/digest-counts.js';
import type { DigestMarkers } from '../../core/ports/call-store.js';
import type { EmailMessage } from '../../core/ports/mail.js';

export interface MemoryDigestMarker {
  status: 'claimed' | 'failed' | 'sent';
  claimedAt: number;
  sentAt?: number;
  frozen?: { message: EmailMessage; counts: DigestCounts };
}

/**
 * The daily digest's markers in memory, one per business day, with the semantics of
 * `DynamoDigestMarkers` (the digest-markers contract holds both to them).
 */
export class MemoryDigestMarkers implements DigestMarkers {
  /** The markers by day: a test reads or seeds them as an earlier run would have left them. */
  readonly markers = new Map<string, MemoryDigestMarker>();

  async claim(day: string, now: number, staleAfterMs: number) {
    const m = this.markers.get(day);
    if (m && !(m.status === 'failed' || (m.status === 'claimed' && m.claimedAt < now - staleAfterMs)))
      return { claimed: false };
    this.markers.set(day, { ...m, status: 'claimed', claimedAt: now });
    return { claimed: true, ...structuredClone(m?.frozen) };
  }

  async freeze(day: string, message: EmailMessage, counts: DigestCounts) {
    const m = this.markers.get(day);
    if (!m) throw new Error(`no marker ${day}`);
    m.frozen ??= structuredClone({ message, counts });
    return structuredClone(m.frozen);
  }

  async markSent(day: string, now: number) {
    const m = this.markers.get(day);
    if (m) Object.assign(m, { status: 'sent', sentAt: now });
  }

  async sentAt(day: string) {
    return this.markers.get(day)?.sentAt;
  }

  async release(day: string) {
    const m = this.markers.get(day);
    if (m?.status === 'claimed') m.status = 'failed';
  }
}
