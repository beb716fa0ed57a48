import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket, { WebSocketServer } from 'ws';
import { placeCall } from '../../services/local/sim/twilio-caller';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../../test/support/twilio';
import { agentFrame, callerFrame, type EngineProtocol, type PrebuiltFrame } from './frames';
import type { PacedStream, Pacer } from './pacer';
import { Samples } from './samples';
import { readStampFrom } from './stamp';

/**
 * The load generator's two ends of every call: the Twilio side (a signed webhook, then the media
 * stream, caller frames at real-time pace) and the engine side (an ElevenLabs-protocol server on
 * loopback that answers the signed-URL request, the conversation initiation and pings, and streams
 * agent frames at real-time pace). Both ends stamp what they send and time what they receive.
 */

import { PUBLIC_URL } from './public-url';

export { PUBLIC_URL };

/** Frames stamped in the first second of a call: each one lost counts as "lost at start". */
const START_FRAMES = 50;
/** How the bridge's caller frames start on each protocol, as bytes: the stamp follows at once. */
const USER_AUDIO_PREFIX = Buffer.from('{"user_audio_chunk":"');
const APPEND_PREFIX = Buffer.from('{"type":"input_audio_buffer.append","audio":"');
const MARK_EVENT = '"event":"mark"';

export type { EngineProtocol };

const PAYLOAD_KEY = Buffer.from('"payload":"');

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && prefix.compare(bytes, 0, prefix.length) === 0;
}

/** A received message's bytes (text frames arrive as one Buffer with the default `binaryType`). */
function bytesOf(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Counters of one rung, per direction. `caller` = Twilio → bridge → engine; `agent` = engine → bridge → Twilio. */
export class RungStats {
  callerSent = 0;
  callerReceived = 0;
  agentSent = 0;
  agentReceived = 0;
  /** Frames received while `measuring` (the CPU-per-frame denominator). */
  callerReceivedInWindow = 0;
  agentReceivedInWindow = 0;
  measuring = false;
  readonly callerLatency = new Samples();
  readonly agentLatency = new Samples();
  readonly setupMs: number[] = [];
  callsFailed = 0;
  readonly errors = new Map<string, number>();

  error(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }
}

/** One simulated call: both of its ends. */
export class BenchCall {
  readonly callSid: string;
  readonly streamSid: string;
  twilio: WebSocket | undefined;
  engineSocket: WebSocket | undefined;
  /** The sockets under them, where the frames are written (`ws` reads them and handles the rest). */
  twilioWire: Duplex | undefined;
  engineWire: Duplex | undefined;
  webhookAt = 0;
  /** Which of the first START_FRAMES caller frames reached the engine. */
  readonly startFramesSeen = new Uint8Array(START_FRAMES);
  callerSeq = 0;
  agentSeq = 0;
  firstCallerFrameAt: number | undefined;
  /** A setup probe's call: the caller stops once its first frame reaches the engine, and the engine sends no audio. */
  setupOnly = false;

  readonly caller: PacedStream = {
    active: false,
    sendFrame: () => this.sendCallerFrame(),
  };
  readonly agent: PacedStream = {
    active: false,
    sendFrame: () => this.sendAgentFrame(),
  };

  constructor(
    readonly index: number,
    private readonly stats: RungStats,
    readonly protocol: EngineProtocol = 'elevenlabs',
  ) {
    const hex = (0x10000000 + index).toString(16);
    this.callSid = `CA${hex.padStart(32, '0')}`;
    this.streamSid = `MZ${hex.padStart(32, '0')}`;
    this.callerFrame = callerFrame(this.streamSid);
    this.agentFrame = agentFrame(protocol, index);
    this.mediaPrefix = Buffer.from(`{"event":"media","streamSid":"${this.streamSid}","media":{"payload":"`);
  }

  /** How the bridge's agent frames to this call start (the relay's too), so the stamp's offset is known. */
  private readonly mediaPrefix: Buffer;

  private readonly callerFrame: PrebuiltFrame;
  private readonly agentFrame: PrebuiltFrame;

  private sendCallerFrame(): void {
    const wire = this.twilioWire;
    if (!wire || this.twilio?.readyState !== WebSocket.OPEN) return;
    const seq = this.callerSeq++;
    // Callers talk part of the time: 2 s of speech in every 6 s, offset per call, so the bridge's
    // speech measure runs both of its branches.
    // (On the OpenAI path callers stay quiet: speech over the agent would make the bridge pause it,
    // and the held frames would read as latency and loss; its detector runs on every frame anyway.)
    const speech = this.protocol === 'elevenlabs' && (seq + this.index * 37) % 300 < 100;
    const frame = this.callerFrame;
    frame.values[0] = seq + 2;
    frame.values[1] = seq + 1;
    frame.values[2] = seq * 20;
    // A frame still queued on the socket keeps its bytes: the next one gets new ones.
    wire.write(frame.fill(this.index, seq, performance.now(), speech, wire.writableLength === 0));
    this.stats.callerSent++;
  }

  /** The OpenAI response the agent frames belong to (a new one after each `response.create`). */
  responseSeq = 0;

  private sendAgentFrame(): void {
    const wire = this.engineWire;
    if (!wire || this.engineSocket?.readyState !== WebSocket.OPEN) return;
    const seq = this.agentSeq++;
    const frame = this.agentFrame;
    if (this.protocol === 'openai') {
      frame.values[0] = seq;
      frame.values[1] = this.responseSeq;
    } else {
      frame.values[0] = seq + 1;
    }
    wire.write(frame.fill(this.index, seq, performance.now(), false, wire.writableLength === 0));
    this.stats.agentSent++;
  }

  /** A caller frame arrived at the engine. */
  onCallerFrame(bytes: Buffer, prefixLength: number): void {
    const now = performance.now();
    const stamp = readStampFrom(bytes, prefixLength);
    if (!stamp || stamp.call !== this.index) {
      this.stats.error('caller frame with a foreign stamp');
      return;
    }
    this.stats.callerReceived++;
    if (stamp.seq < START_FRAMES) this.startFramesSeen[stamp.seq] = 1;
    if (this.firstCallerFrameAt === undefined) {
      this.firstCallerFrameAt = now;
      if (this.setupOnly) this.caller.active = false;
      this.stats.setupMs.push(now - this.webhookAt);
    }
    if (this.stats.measuring) {
      this.stats.callerReceivedInWindow++;
      this.stats.callerLatency.push(now - stamp.sentAt);
    }
  }

  /** An agent frame arrived at the caller. */
  onTwilioMessage(bytes: Buffer): void {
    const now = performance.now();
    const at = startsWith(bytes, this.mediaPrefix)
      ? this.mediaPrefix.length - PAYLOAD_KEY.length
      : bytes.indexOf(PAYLOAD_KEY);
    if (at < 0) {
      // A mark: Twilio echoes it once the audio before it has played (here at once: the cost of
      // the echo is what the bench measures, not its timing).
      const text = bytes.toString();
      if (text.includes(MARK_EVENT)) {
        const { mark } = JSON.parse(text) as { mark: { name: string } };
        this.twilio?.send(
          JSON.stringify({
            event: 'mark',
            sequenceNumber: String(this.callerSeq + 2),
            streamSid: this.streamSid,
            mark,
          }),
        );
      }
      return;
    }
    const stamp = readStampFrom(bytes, at + PAYLOAD_KEY.length);
    if (!stamp || stamp.call !== this.index) {
      this.stats.error('agent frame with a foreign stamp');
      return;
    }
    this.stats.agentReceived++;
    if (this.stats.measuring) {
      this.stats.agentReceivedInWindow++;
      this.stats.agentLatency.push(now - stamp.sentAt);
    }
  }

  lostAtStart(): number {
    // Only frames that were sent count: a call shorter than a second sends fewer.
    const sent = Math.min(START_FRAMES, this.callerSeq);
    let seen = 0;
    for (let i = 0; i < sent; i++) seen += this.startFramesSeen[i] ?? 0;
    return sent - seen;
  }

  stop(): void {
    this.caller.active = false;
    this.agent.active = false;
  }

  hangUp(): void {
    const ws = this.twilio;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(
        JSON.stringify({
          event: 'stop',
          sequenceNumber: String(this.callerSeq + 2),
          streamSid: this.streamSid,
          stop: { accountSid: TEST_ACCOUNT_SID, callSid: this.callSid },
        }),
      );
      ws.close(1000);
    }
  }
}

/** The ElevenLabs side of every call: signed URLs, conversations, agent audio at real-time pace. */
export class BenchEngine {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  private port = 0;
  private readonly calls = new Map<string, BenchCall>();

  constructor(private readonly pacer: Pacer) {
    this.http = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          signed_url: `ws://127.0.0.1:${this.port}/v1/convai/conversation?agent_id=bench&conversation_signature=x`,
        }),
      );
    });
    this.http.on('upgrade', (req, socket, head) => {
      const realtime = (req.url ?? '').startsWith('/v1/realtime');
      this.wss.handleUpgrade(req, socket, head, (ws) =>
        realtime ? this.onRealtime(ws, socket) : this.onConversation(ws, socket),
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  expect(call: BenchCall): void {
    this.calls.set(call.callSid, call);
  }

  forget(call: BenchCall): void {
    this.calls.delete(call.callSid);
  }

  /**
   * The OpenAI Realtime side (docs/protocols.md §2): `session.created`, `session.updated` with μ-law
   * both ways, and one response at a time whose audio deltas stream at real-time pace. The call is
   * known by the stamp of its first caller frame (the protocol carries no call id).
   */
  private onRealtime(ws: WebSocket, wire: Duplex): void {
    let call: BenchCall | undefined;
    ws.on('error', () => {});
    const session = { id: 'sess_bench', object: 'realtime.session', type: 'realtime' };
    ws.send(JSON.stringify({ type: 'session.created', event_id: 'ev_c', session }));
    ws.on('message', (data) => {
      const bytes = bytesOf(data);
      if (startsWith(bytes, APPEND_PREFIX)) {
        if (!call) {
          const stamp = readStampFrom(bytes, APPEND_PREFIX.length);
          call = stamp ? [...this.calls.values()].find((c) => c.index === stamp.call) : undefined;
          if (!call) return;
          call.engineSocket = ws;
          call.engineWire = wire;
          if (!call.agent.active && !call.setupOnly) {
            // Its response.create came before its first frame told us whose socket this is.
            call.agent.active = true;
            this.pacer.add(call.agent);
          }
        }
        call.onCallerFrame(bytes, APPEND_PREFIX.length);
        return;
      }
      const message = JSON.parse(bytes.toString()) as { type?: string };
      const format = { type: 'audio/pcmu' };
      if (message.type === 'session.update') {
        ws.send(
          JSON.stringify({
            type: 'session.updated',
            event_id: 'ev_u',
            session: { ...session, audio: { input: { format }, output: { format } } },
          }),
        );
      } else if (message.type === 'response.create') {
        const owner = call;
        const id = owner ? `${owner.index}_${++owner.responseSeq}` : 'greeting';
        ws.send(
          JSON.stringify({
            type: 'response.created',
            event_id: `ev_r${id}`,
            response: { id: `resp_${id}`, object: 'realtime.response', status: 'in_progress', output: [] },
          }),
        );
      }
    });
  }

  private onConversation(ws: WebSocket, wire: Duplex): void {
    let call: BenchCall | undefined;
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const bytes = bytesOf(data);
      if (startsWith(bytes, USER_AUDIO_PREFIX)) {
        call?.onCallerFrame(bytes, USER_AUDIO_PREFIX.length);
        return;
      }
      const message = JSON.parse(bytes.toString()) as {
        type?: string;
        dynamic_variables?: { call_sid?: string };
      };
      if (message.type !== 'conversation_initiation_client_data') return;
      call = this.calls.get(message.dynamic_variables?.call_sid ?? '');
      if (!call) {
        ws.close(1008, 'unknown call');
        return;
      }
      call.engineSocket = ws;
      call.engineWire = wire;
      ws.send(
        JSON.stringify({
          type: 'conversation_initiation_metadata',
          conversation_initiation_metadata_event: {
            conversation_id: `conv_${call.index}`,
            agent_output_audio_format: 'ulaw_8000',
            user_input_audio_format: 'ulaw_8000',
          },
        }),
      );
      if (call.setupOnly) return;
      call.agent.active = true;
      this.pacer.add(call.agent);
    });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** A zero masking key: the generator's frames are masked as the protocol requires, at no cost to it. */
const zeroMask = (mask: Buffer) => mask.fill(0);

/** Starts one call as Twilio does: the signed webhook, then the signed stream, `connected`, `start`, media. */
export async function startCall(
  call: BenchCall,
  target: { baseUrl: string; streamAddress: string },
  engine: BenchEngine,
  pacer: Pacer,
  stats: RungStats,
): Promise<void> {
  engine.expect(call);
  call.webhookAt = performance.now();
  const answer = await placeCall({
    baseUrl: target.baseUrl,
    publicUrl: PUBLIC_URL,
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
    from: `+1555${String(2000000 + call.index).slice(-7)}`,
    to: '+15550001111',
    callSid: call.callSid,
  });
  if (!answer.twiml) throw new Error(`the inbound webhook answered ${answer.status} without a stream`);
  const ws = new WebSocket(target.streamAddress, {
    headers: {
      'X-Twilio-Signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, answer.twiml.streamUrl, {}),
    },
    perMessageDeflate: false,
    skipUTF8Validation: true,
    generateMask: zeroMask,
  });
  ws.once('upgrade', (response) => {
    call.twilioWire = response.socket;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => stats.error('Twilio socket error'));
  ws.on('message', (data) => call.onTwilioMessage(bytesOf(data)));
  call.twilio = ws;
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid: call.streamSid,
      start: {
        accountSid: TEST_ACCOUNT_SID,
        streamSid: call.streamSid,
        callSid: call.callSid,
        tracks: ['inbound'],
        customParameters: answer.twiml.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  call.caller.active = true;
  pacer.add(call.caller);
}
