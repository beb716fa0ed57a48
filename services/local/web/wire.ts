/**
 * What the local stack and the softphone page say to each other (JSON), shared by both sides:
 * plain types, no imports, so the browser bundle and the server compile the same declarations.
 */

/** `POST /phone/calls`: what the page needs to open the stream as Twilio would. */
export interface SoftphoneCall {
  callSid: string;
  accountSid: string;
  streamSid: string;
  /** `<Parameter>`s of the TwiML answer (the stream token and the callSid): sent back in `start`. */
  customParameters: Record<string, string>;
  /** Path and query of the WebSocket to open on this host. */
  streamPath: string;
  /** The engine chosen for the call. */
  engine: string;
}

/** One agent answer and how long after the caller's turn it came. */
export interface TurnLatency {
  callerSeq: number;
  agentSeq: number;
  ms: number;
}

/** The same shape as the bridge's per-call `turnLatency` (DESIGN §3 Call session). */
export interface LatencySummary {
  turns: number;
  p50Ms: number;
  p90Ms: number;
}

/** One call as the pages show it (`GET /phone/calls/<callSid>/events` sends it as it changes). */
export interface CallView {
  callSid: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  /** The engine that served the call, else the one chosen for it. */
  engine: string;
  failoverReason?: string;
  /** Session status: created, streaming, ended, finalised. */
  status: string;
  /** Twilio's final status once the call is finalised (completed, busy …), else `in progress` / `ending`. */
  outcome: string;
  finalisation?: string;
  createdAt: number;
  durationSeconds?: number;
  endReason?: string;
  turns: Array<{ seq: number; role: 'caller' | 'agent'; text: string; at: number }>;
  toolCalls: Array<{
    seq: number;
    name: string;
    args: unknown;
    ok: boolean;
    result: string;
    durationMs: number;
    at: number;
  }>;
  /** Texts sent about the call (a booking's confirmation, a missed call's text-back), oldest first. */
  texts: Array<{ kind: string; to: string; body: string; at: number }>;
  latencies: TurnLatency[];
  latency?: LatencySummary;
}
