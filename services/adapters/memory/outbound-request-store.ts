import { OUTBOUND_LEASE_MS } from '../../core/outbound/place-call.js';
import type { OutboundRequest, OutboundRequestStore } from '../../core/ports/call-store.js';

/**
 * Outbound call requests in memory by idempotency key, with the semantics of
 * `DynamoOutboundRequestStore` (created once unless failed, taken over only after the lease), which
 * the call-store contract proves.
 */
export class MemoryOutboundRequestStore implements OutboundRequestStore {
  readonly requests = new Map<string, OutboundRequest>();

  async create(request: Omit<OutboundRequest, 'status' | 'leaseUntil'>) {
    const existing = this.requests.get(request.idempotencyKey);
    if (existing && existing.status !== 'failed') return { created: false, request: { ...existing } };
    const stored: OutboundRequest = {
      ...request,
      status: 'placing',
      leaseUntil: request.createdAt + OUTBOUND_LEASE_MS,
    };
    this.requests.set(request.idempotencyKey, stored);
    return { created: true, request: { ...stored } };
  }

  async get(key: string) {
    const r = this.requests.get(key);
    return r ? { ...r } : undefined;
  }

  async takeOver(key: string, now: number, leaseUntil: number) {
    const r = this.requests.get(key);
    if (r?.status !== 'placing' || (r.leaseUntil ?? 0) >= now) return false;
    r.leaseUntil = leaseUntil;
    return true;
  }

  async markPlaced(key: string, callSid: string) {
    const r = this.requestOf(key);
    Object.assign(r, { status: 'placed', callSid });
    delete r.error;
    delete r.leaseUntil;
  }

  async markFailed(key: string, error: string) {
    Object.assign(this.requestOf(key), { status: 'failed', error });
  }

  private requestOf(key: string): OutboundRequest {
    const r = this.requests.get(key);
    if (!r) throw new Error(`no request ${key}`);
    return r;
  }
}
