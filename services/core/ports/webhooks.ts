/** The integration webhook: its deliveries (kept in the call table) and the POST that sends one. */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One call's event and how its delivery went (the call table keeps it). */
export interface WebhookDelivery {
  callSid: string;
  eventId: string;
  /** The event's JSON exactly as sent, frozen at creation. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: number;
  /** Epoch ms of the first attempt: the retry window counts from it. */
  firstAttemptAt?: number;
  lastAttemptAt?: number;
  /** `HTTP 500`, `timeout`, `HTTP 200` … (never the receiver's body). */
  lastResult?: string;
  /** When the next attempt is due, while pending. */
  nextAttemptAt?: number;
}

/** The outcome of one attempt, as the store records it. */
export interface AttemptRecord {
  at: number;
  result: string;
  status: DeliveryStatus;
  nextAttemptAt?: number;
}

export interface WebhookDeliveryStore {
  /** Writes the delivery unless the call has one; returns the one stored (the same event id on every run). */
  create(
    delivery: Pick<WebhookDelivery, 'callSid' | 'eventId' | 'body' | 'createdAt'>,
  ): Promise<WebhookDelivery>;
  get(callSid: string): Promise<WebhookDelivery | undefined>;
  /**
   * Takes a pending delivery that is due at `now` for one attempt: it is not due again for `leaseMs`
   * (no two runners send at once). Undefined when it is not pending, not due, or another runner has it.
   */
  claim(callSid: string, now: number, leaseMs: number): Promise<WebhookDelivery | undefined>;
  recordAttempt(callSid: string, attempt: AttemptRecord): Promise<void>;
  /** Calls whose pending delivery is due at `now`, oldest due first. */
  due(now: number, limit: number): Promise<string[]>;
  /** Deliveries that were kept as failed between `from` and `to` (the digest's day). */
  failedBetween(
    from: number,
    to: number,
  ): Promise<Array<{ callSid: string; eventId: string; failedAt: number }>>;
}

/** One POST of the raw body with these headers; resolves with the status, rejects on a network error or timeout. */
export type WebhookPost = (
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<{ status: number }>;
