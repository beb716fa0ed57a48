/**
 * The softphone's server side: it plays Twilio's part for a browser, through the same doors a phone
 * call uses. A call starts with the signed voice webhook (`POST /twilio/inbound`, so the inbound
 * handler writes the session and mints the stream token), the page then opens `/media-stream` and
 * speaks Media Streams to the bridge, and when the bridge has ended the call the signed status
 * callback (`POST /twilio/status`) finalises it. A browser cannot set `X-Twilio-Signature` on a
 * WebSocket, so the page gets a one-time handshake ticket instead, which `prepareUpgrade` exchanges
 * for the header Twilio would have sent.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { CallSessionStore } from '../../core/ports/call-store.js';
import type { Config } from '../../core/shared/config.js';
import { forCall } from '../../core/shared/logging.js';
import { placeCall, randomSid, sendStatusCallback } from '../sim/twilio-caller.js';
import type { SoftphoneCall } from '../web/wire.js';

/** The softphone's caller id: a fictional number (555-01xx), so the CRM recognises a returning caller. */
export const SOFTPHONE_CALLER = '+15550100123';
/** The query parameter of `/media-stream` that carries a handshake ticket. */
export const TICKET_PARAM = 'softphone';
/** How long a page has to open its stream once the call is set up. */
const TICKET_TTL_MS = 30_000;
/** How often the end of a call is looked for, and how long a call may last at most. */
const END_POLL_MS = 300;
const MAX_CALL_MS = 2 * 60 * 60 * 1000;

export type { SoftphoneCall };

export interface SoftphoneDeps {
  config: Config;
  sessions: Pick<CallSessionStore, 'get'>;
  now?: () => number;
}

export class Softphone {
  private readonly tickets = new Map<string, { callSid: string; expiresAt: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly deps: SoftphoneDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Places a call into the stack at `baseUrl` (this process) as Twilio would, and arms its end. */
  async startCall(baseUrl: string): Promise<SoftphoneCall> {
    const { config } = this.deps;
    const twilio = {
      baseUrl,
      publicUrl: config.publicUrl,
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      from: SOFTPHONE_CALLER,
      to: config.twilio.phoneNumber,
    };
    const answer = await placeCall({ ...twilio, callSid: randomSid('CA') });
    if (!answer.twiml) {
      throw new Error(`POST /twilio/inbound answered ${answer.status} without a stream: ${answer.body}`);
    }
    const { callSid } = answer;
    const record = await this.deps.sessions.get(callSid);
    const ticket = randomBytes(24).toString('base64url');
    this.sweepTickets();
    this.tickets.set(ticket, { callSid, expiresAt: this.now() + TICKET_TTL_MS });
    this.finaliseWhenEnded(callSid, (status, durationSeconds) =>
      sendStatusCallback({ ...twilio, callSid, callStatus: status, callDurationSeconds: durationSeconds }),
    );
    return {
      callSid,
      accountSid: config.twilio.accountSid,
      streamSid: randomSid('MZ'),
      customParameters: answer.twiml.parameters,
      streamPath: `/media-stream?${TICKET_PARAM}=${ticket}`,
      engine: record?.session.provider ?? config.voiceProvider,
    };
  }

  /**
   * An upgrade without a ticket is left alone (Twilio's own, checked by the bridge). One with a
   * ticket gets the handshake signature if the ticket is known, fresh and unused; else it is refused.
   */
  prepareUpgrade(req: IncomingMessage): boolean {
    const ticket = new URL(req.url ?? '/', 'http://local').searchParams.get(TICKET_PARAM);
    if (ticket === null) return true;
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAt < this.now()) return false;
    const { authToken } = this.deps.config.twilio;
    req.headers['x-twilio-signature'] = getExpectedTwilioSignature(authToken, this.deps.config.streamUrl, {});
    return true;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Twilio sends the final status once the call is over: here, once the bridge has ended the
   * stream (`completed`, answered time from the stream's start), or `canceled` when the page never
   * opened its stream.
   */
  private finaliseWhenEnded(
    callSid: string,
    send: (status: string, durationSeconds?: number) => Promise<{ status: number }>,
  ): void {
    const startedAt = this.now();
    const log = forCall(callSid);
    const check = async () => {
      if (this.closed) return;
      const session = (await this.deps.sessions.get(callSid))?.session;
      const age = this.now() - startedAt;
      const neverStreamed = session?.status === 'created' && age > TICKET_TTL_MS * 2;
      if (session && (session.status === 'ended' || neverStreamed || age > MAX_CALL_MS)) {
        const answered = session.streamingAt;
        const duration =
          answered !== undefined
            ? Math.round(((session.endedAt ?? this.now()) - answered) / 1000)
            : undefined;
        const status = answered === undefined ? 'canceled' : 'completed';
        const response = await send(status, duration);
        if (response.status >= 300) log.warn('The softphone call status callback was refused', response);
        return;
      }
      if (session?.status === 'finalised') return;
      schedule();
    };
    const schedule = () => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        check().catch((error: unknown) => {
          log.error('The softphone could not report the end of its call', { error: error as Error });
        });
      }, END_POLL_MS);
      this.timers.add(timer);
    };
    schedule();
  }

  private sweepTickets(): void {
    const now = this.now();
    for (const [ticket, entry] of this.tickets) if (entry.expiresAt < now) this.tickets.delete(ticket);
  }
}
