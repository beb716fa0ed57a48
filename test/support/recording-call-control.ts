import type {
  CallControl,
  CallLookup,
  DialRequest,
  TwilioCall,
} from '../../services/core/ports/telephony.js';

/**
 * The tests' phone network: records what the use cases ask of Twilio (calls placed, redirects,
 * hang-ups) and answers what Twilio knows about the calls placed. The local stack has no in-memory
 * telephony to share: it runs the real `TwilioCallControl` against its simulated REST API, where
 * a use case's request is only seen after the SDK has encoded it. The adapter itself is tested at
 * that HTTP boundary.
 */
export class RecordingCallControl implements CallControl, Pick<CallLookup, 'callsBetween'> {
  readonly placed: DialRequest[] = [];
  readonly redirects: Array<{ callSid: string; twiml: string }> = [];
  readonly hangUps: string[] = [];
  /** The calls Twilio has, as its REST API would list them. */
  readonly twilioCalls: TwilioCall[] = [];
  /** Set, every `placeCall` fails with it (Twilio refusing the call). */
  failWith?: Error;
  private next = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async redirect(callSid: string, twiml: string): Promise<void> {
    this.redirects.push({ callSid, twiml });
  }

  async hangUp(callSid: string): Promise<void> {
    this.hangUps.push(callSid);
  }

  async placeCall(request: DialRequest): Promise<{ callSid: string }> {
    if (this.failWith) throw this.failWith;
    this.placed.push(request);
    this.next += 1;
    const callSid = `CA${String(this.next).padStart(32, '0')}`;
    this.twilioCalls.push({
      callSid,
      status: 'queued',
      from: request.from,
      to: request.to,
      direction: 'outbound',
      createdAt: this.now(),
    });
    return { callSid };
  }

  async callsBetween(from: string, to: string, since: number): Promise<TwilioCall[]> {
    return this.twilioCalls
      .filter((c) => c.from === from && c.to === to && (c.createdAt ?? 0) >= since)
      .reverse();
  }
}
