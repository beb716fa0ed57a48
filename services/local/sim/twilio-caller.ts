/**
 * A simulated Twilio for end-to-end tests and the local demo: it places a call the way Twilio does
 * (a signed, form-encoded voice webhook), reads the TwiML, opens the Media Stream with a signed
 * upgrade and talks the Media Streams protocol exactly as Twilio does. On the way back it plays the
 * bridge's audio at real-time speed (8 bytes of μ-law per ms), echoes marks when the audio queued
 * before them has played and honours `clear`. Every message in both directions is checked against
 * services/local/sim/schemas/twilio-media-streams.schema.json; problems land in `violations`, never in exceptions.
 *
 *   const call = await placeCall({ baseUrl, publicUrl, accountSid, authToken, from, to });
 *   const stream = await openStream({ streamUrl: call.twiml!.streamUrl, connectTo, authToken,
 *     accountSid, callSid: call.callSid, parameters: call.twiml!.parameters });
 *   await stream.sendAudio(loadClip('caller-hello'), { paced: false });
 *   await stream.waitForAudio(8000, 5000);
 *   await stream.hangUp();
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket from 'ws';
import { CallerMediaMessages } from '../web/caller-media.js';
import { FRAME_BYTES, FRAME_MS, silence, ULAW_BYTES_PER_MS } from './audio.js';
import { ObservedPeer } from './observed-peer.js';
import { validateFromTwilio, validateToTwilio } from './twilio-schemas.js';
import { describeMessage, isRecord, type Violation } from './violation.js';
import { handled, sleep } from './waiter.js';

/** How the simulated Twilio signs a request: correctly, with the wrong key, or not at all. */
export type SignatureMode = 'valid' | 'forged' | 'missing';

/** A Twilio SID: two letters and 32 hex digits (`CA…` call, `MZ…` stream, `AC…` account). */
export function randomSid(prefix: 'CA' | 'MZ' | 'AC'): string {
  return prefix + randomBytes(16).toString('hex');
}

function signatureHeader(
  mode: SignatureMode,
  authToken: string,
  url: string,
  params: Record<string, string>,
) {
  if (mode === 'missing') return {};
  const key = mode === 'valid' ? authToken : `forged-${authToken}`;
  return { 'X-Twilio-Signature': getExpectedTwilioSignature(key, url, params) };
}

// ---------------------------------------------------------------------------------------------
// Webhooks

export interface TwilioWebhookOptions {
  /** Where the request really goes, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The public https base URL Twilio is configured with; the signature is computed over `publicUrl + path`. */
  publicUrl: string;
  path: string;
  authToken: string;
  params: Record<string, string>;
  signature?: SignatureMode;
}

export interface TwilioWebhookResponse {
  status: number;
  body: string;
  contentType: string | null;
}

/** POSTs a form-encoded Twilio webhook, signed like Twilio signs it (twilio's own algorithm). */
export async function postTwilioWebhook(options: TwilioWebhookOptions): Promise<TwilioWebhookResponse> {
  const { baseUrl, publicUrl, path, authToken, params, signature = 'valid' } = options;
  const response = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'TwilioProxy/1.1',
      'I-Twilio-Idempotency-Token': randomBytes(16).toString('hex'),
      ...signatureHeader(signature, authToken, joinUrl(publicUrl, path), params),
    },
    body: new URLSearchParams(params).toString(),
  });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
  };
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

export interface PlaceCallOptions {
  baseUrl: string;
  publicUrl: string;
  accountSid: string;
  authToken: string;
  /** E.164 numbers. For an inbound call `from` is the caller and `to` the business number. */
  from: string;
  to: string;
  /** Default: a random `CA…` SID. */
  callSid?: string;
  signature?: SignatureMode;
  /** Default `/twilio/inbound`; use `/twilio/outbound` (with `direction: 'outbound-api'`) for an answered outbound call. */
  path?: string;
  /** Default `inbound` (CallStatus `ringing`); `outbound-api` sends CallStatus `in-progress`. */
  direction?: 'inbound' | 'outbound-api';
  /** Added to (or overriding) the standard parameters. */
  extraParams?: Record<string, string>;
  /**
   * Inbound only: Twilio's STIR/SHAKEN verdict on `From` (default `TN-Validation-Passed-A`, a
   * fully attested caller); `null` leaves the parameter out, as for a call Twilio could not verify.
   */
  stirVerstat?: string | null;
}

export interface StreamTwiml {
  /** `url` of `<Connect><Stream>`, entities decoded. */
  streamUrl: string;
  /** The `<Parameter name value>` children of that `<Stream>`. */
  parameters: Record<string, string>;
  /** Other attributes of `<Stream>` (statusCallback, track, name, …). */
  attributes: Record<string, string>;
}

export interface PlaceCallResult extends TwilioWebhookResponse {
  callSid: string;
  /** Exactly the form parameters that were posted. */
  params: Record<string, string>;
  /** The `<Connect><Stream>` of the TwiML answer, or undefined when there is none. */
  twiml: StreamTwiml | undefined;
}

/** The parameters Twilio posts to a voice webhook (geographic fields are empty when Twilio does not know them). */
export function voiceWebhookParams(options: PlaceCallOptions & { callSid: string }): Record<string, string> {
  const direction = options.direction ?? 'inbound';
  return {
    AccountSid: options.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: options.callSid,
    CallStatus: direction === 'inbound' ? 'ringing' : 'in-progress',
    Called: options.to,
    CalledCity: '',
    CalledCountry: '',
    CalledState: '',
    CalledZip: '',
    Caller: options.from,
    CallerCity: '',
    CallerCountry: '',
    CallerState: '',
    CallerZip: '',
    Direction: direction,
    From: options.from,
    FromCity: '',
    FromCountry: '',
    FromState: '',
    FromZip: '',
    To: options.to,
    ToCity: '',
    ToCountry: '',
    ToState: '',
    ToZip: '',
    ...(direction === 'inbound' && options.stirVerstat !== null
      ? { StirVerstat: options.stirVerstat ?? 'TN-Validation-Passed-A' }
      : {}),
    ...options.extraParams,
  };
}

/** Simulates Twilio answering a call: posts the signed voice webhook and parses the TwiML answer. */
export async function placeCall(options: PlaceCallOptions): Promise<PlaceCallResult> {
  const callSid = options.callSid ?? randomSid('CA');
  const params = voiceWebhookParams({ ...options, callSid });
  const response = await postTwilioWebhook({
    baseUrl: options.baseUrl,
    publicUrl: options.publicUrl,
    path: options.path ?? '/twilio/inbound',
    authToken: options.authToken,
    params,
    signature: options.signature,
  });
  return { ...response, callSid, params, twiml: parseStreamTwiml(response.body) };
}

export interface StatusCallbackOptions {
  baseUrl: string;
  publicUrl: string;
  accountSid: string;
  authToken: string;
  callSid: string;
  from: string;
  to: string;
  /** e.g. `completed`, `busy`, `no-answer`, `failed`, `canceled`, `in-progress`, `ringing`. */
  callStatus: string;
  /** Whole seconds, sent as `CallDuration` (and `Duration` in minutes) for a completed call. */
  callDurationSeconds?: number;
  direction?: 'inbound' | 'outbound-api';
  signature?: SignatureMode;
  /** Default `/twilio/status`. */
  path?: string;
}

/** Simulates Twilio's call status callback. */
export function sendStatusCallback(options: StatusCallbackOptions): Promise<TwilioWebhookResponse> {
  const params: Record<string, string> = {
    AccountSid: options.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: options.callSid,
    CallStatus: options.callStatus,
    Called: options.to,
    Caller: options.from,
    Direction: options.direction ?? 'inbound',
    From: options.from,
    To: options.to,
    CallbackSource: 'call-progress-events',
    SequenceNumber: '0',
    Timestamp: new Date().toUTCString(),
  };
  if (options.callDurationSeconds !== undefined) {
    params.CallDuration = String(options.callDurationSeconds);
    params.Duration = String(Math.ceil(options.callDurationSeconds / 60));
  }
  return postTwilioWebhook({
    baseUrl: options.baseUrl,
    publicUrl: options.publicUrl,
    path: options.path ?? '/twilio/status',
    authToken: options.authToken,
    params,
    signature: options.signature,
  });
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return XML_ENTITIES[entity] ?? '';
  });
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attributes[match[1] ?? ''] = decodeXml(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

/** Reads `<Response><Connect><Stream url><Parameter name value/>…</Stream></Connect></Response>`. */
export function parseStreamTwiml(xml: string): StreamTwiml | undefined {
  const connect = /<Connect\b[^>]*>([\s\S]*?)<\/Connect>/.exec(xml);
  if (!connect) return undefined;
  const stream = /<Stream\b([^>]*?)(?:\/>|>([\s\S]*?)<\/Stream>)/.exec(connect[1] ?? '');
  if (!stream) return undefined;
  const { url, ...attributes } = parseAttributes(stream[1] ?? '');
  if (url === undefined) return undefined;
  const parameters: Record<string, string> = {};
  for (const parameter of (stream[2] ?? '').matchAll(/<Parameter\b([^>]*?)\/?>/g)) {
    const { name, value } = parseAttributes(parameter[1] ?? '');
    if (name !== undefined) parameters[name] = value ?? '';
  }
  return { streamUrl: url, parameters, attributes };
}

// ---------------------------------------------------------------------------------------------
// Media Stream

export interface OpenStreamOptions {
  /** The `<Stream url>` from the TwiML (`wss://…`): what Twilio signs and connects to. */
  streamUrl: string;
  /** Where to really connect, e.g. `ws://127.0.0.1:3000/media-stream`, while the public URL is signed. */
  connectTo?: string;
  authToken: string;
  accountSid: string;
  callSid: string;
  /** `<Parameter>`s of the TwiML: sent as `start.customParameters`. */
  parameters?: Record<string, string>;
  handshakeSignature?: SignatureMode;
  /** Default: a random `MZ…` SID. */
  streamSid?: string;
  /** Send `start` right after `connected` (default true). With false, call `sendStart()` yourself. */
  sendStart?: boolean;
  /** How long the upgrade may take (default 5000 ms). */
  openTimeoutMs?: number;
}

/** The upgrade was answered with an HTTP status instead of 101 (e.g. 401 for a bad signature). */
export class StreamRejectedError extends Error {
  constructor(readonly status: number) {
    super(`media stream upgrade refused with HTTP ${status}`);
    this.name = 'StreamRejectedError';
  }
}

export interface SendAudioOptions {
  /** Real time, 20 ms per frame on a drift-free schedule (default true). False sends as fast as possible. */
  paced?: boolean;
}

/** Something Twilio sent or received on the stream, in order, with when it happened (ms since the stream opened). */
export interface StreamEvent {
  direction: 'sent' | 'received';
  atMs: number;
  message: unknown;
}

type PlaybackItem = { kind: 'mark'; name: string; dueAt: number };

/**
 * One simulated Media Stream. Create it with `openStream`.
 *
 * Inbound (caller → bridge): `connected`, `start`, then `media` / `dtmf` / `stop` with string
 * counters: `sequenceNumber` counts every message from `start` ("1") on, `media.chunk` from "1",
 * `media.timestamp` is ms since the stream started (never going backwards, 20 ms per frame).
 *
 * Outbound (bridge → caller): each `media` payload is queued and "played" at 8 bytes per ms; a
 * `mark` is echoed once the audio queued before it has played (at once when nothing is queued); a
 * `clear` drops the queued audio and echoes the pending marks at once, like Twilio.
 */
export class TwilioCallStream extends ObservedPeer {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  /** Every message the simulated Twilio sent (parsed objects), in order; `sendRaw` frames are not included. */
  readonly sent: unknown[] = [];
  /** Both directions in order, with timing, for debugging and ordering assertions. */
  readonly log: StreamEvent[] = [];
  /** The `media.payload` strings received from the bridge, in order, exactly as sent. */
  readonly media: string[] = [];
  /** Names of the marks received from the bridge, in order. */
  readonly marks: string[] = [];
  /** Names of the marks echoed back to the bridge, in order. */
  readonly markEchoes: string[] = [];
  /** Every protocol problem seen in either direction. */
  readonly violations: Violation[] = [];
  /** Resolves when the socket has closed, from either side. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private readonly ws: WebSocket;
  private readonly openedAt = performance.now();
  private sequence = 0;
  private readonly callerMedia = new CallerMediaMessages();
  private lastTimestamp = -FRAME_MS;
  private startedAt: number | undefined;
  private nextFrameAt = 0;
  private sendChain: Promise<void> = Promise.resolve();
  private ended = false;
  private isClosed = false;
  private clearCount = 0;
  private receivedByteCount = 0;
  // Playback: the time the queued audio finishes playing, and what has been dropped by `clear`.
  private playbackEndsAt = 0;
  private enqueuedBytes = 0;
  private dropped = 0;
  private pendingMarks: PlaybackItem[] = [];
  private markTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  /** @internal use `openStream` */
  constructor(ws: WebSocket, options: OpenStreamOptions & { streamSid: string }) {
    super('a stream condition');
    this.ws = ws;
    this.streamSid = options.streamSid;
    this.callSid = options.callSid;
    this.accountSid = options.accountSid;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.ended = true;
        clearTimeout(this.markTimer);
        clearTimeout(this.idleTimer);
        resolve({ code, reason: reason.toString('utf8') });
        this.waiter.notify();
      });
    });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
  }

  /** Whether the socket is still open. */
  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  /** How many `clear` messages the bridge sent. */
  get clears(): number {
    return this.clearCount;
  }

  /**
   * Where Twilio's clock stands: the end of the caller audio sent so far, in ms since the stream
   * started (`media.timestamp` of the last frame + 20). It runs with the wall clock, so a pause
   * between two sends counts, as on a real line.
   */
  get mediaClockMs(): number {
    return this.lastTimestamp + FRAME_MS;
  }

  /** Bytes of agent audio received so far. */
  get receivedBytes(): number {
    return this.receivedByteCount;
  }

  /** All agent audio received, concatenated (what the caller would hear without any `clear`). */
  receivedAudio(): Buffer {
    return Buffer.concat(this.media.map((payload) => Buffer.from(payload, 'base64')));
  }

  /** Bytes of agent audio still waiting to be played. */
  queuedBytes(): number {
    return Math.max(0, Math.round((this.playbackEndsAt - performance.now()) * ULAW_BYTES_PER_MS));
  }

  /** Bytes of agent audio the caller has heard so far. */
  playedBytes(): number {
    return this.enqueuedBytes - this.dropped - this.queuedBytes();
  }

  /** Bytes of agent audio that a `clear` discarded before it was played. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** Messages received from the bridge with `event === name`. */
  receivedEvents(name: string): Array<Record<string, unknown>> {
    return this.receivedWhere('event', name);
  }

  /** Waits until at least `bytes` of agent audio have been received. */
  waitForAudio(bytes: number, timeoutMs: number): Promise<void> {
    return this.waitFor((s) => s.receivedBytes >= bytes, timeoutMs, `${bytes} bytes of agent audio`);
  }

  /** Waits until the bridge has sent `count` `clear` messages in total (default 1). */
  waitForClear(timeoutMs: number, count = 1): Promise<void> {
    return this.waitFor((s) => s.clears >= count, timeoutMs, `${count} clear message(s)`);
  }

  /** Waits until a mark named `name` has been echoed back to the bridge. */
  waitForMarkEcho(name: string, timeoutMs: number): Promise<void> {
    return this.waitFor((s) => s.markEchoes.includes(name), timeoutMs, `the echo of mark '${name}'`);
  }

  /** Waits until all received agent audio has been played (or cleared). */
  waitForPlayedOut(timeoutMs: number): Promise<void> {
    return this.waitFor((s) => s.queuedBytes() === 0, timeoutMs, 'agent audio to finish playing');
  }

  /** Waits for the socket to close and returns the close code and reason. */
  async waitForClose(timeoutMs: number): Promise<{ code: number; reason: string }> {
    await this.waitFor((s) => s.isClosed, timeoutMs, 'the stream to close');
    return this.closed;
  }

  /** Sends `connected` (done by `openStream`). */
  sendConnected(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  /** Sends `start` (done by `openStream` unless `sendStart: false`). */
  sendStart(customParameters: Record<string, string> = {}): void {
    this.startedAt = performance.now();
    this.nextFrameAt = this.startedAt;
    this.send({
      event: 'start',
      sequenceNumber: this.nextSequence(),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: this.streamSid,
    });
  }

  /**
   * Sends caller audio as 20 ms `media` frames of 160 bytes (a short last frame is padded with μ-law
   * silence, as Twilio only sends whole frames). Resolves when the last frame is sent. Calls queue
   * behind each other, so frames of two calls never interleave.
   */
  sendAudio(ulaw: Buffer, options: SendAudioOptions = {}): Promise<void> {
    const paced = options.paced ?? true;
    return this.enqueue(async () => {
      if (paced) this.nextFrameAt = Math.max(this.nextFrameAt, performance.now());
      for (let offset = 0; offset < ulaw.length; offset += FRAME_BYTES) {
        if (this.ended) return;
        let frame = ulaw.subarray(offset, offset + FRAME_BYTES);
        if (frame.length < FRAME_BYTES)
          frame = Buffer.concat([frame, silence(FRAME_MS).subarray(frame.length)]);
        let mediaTime = performance.now();
        if (paced) {
          mediaTime = this.nextFrameAt;
          const wait = this.nextFrameAt - performance.now();
          if (wait > 1) await sleep(wait);
          this.nextFrameAt += FRAME_MS;
          if (this.ended) return;
        }
        this.sendFrame(frame, mediaTime);
      }
    });
  }

  /** Sends `ms` of μ-law silence (what Twilio streams while the caller says nothing). */
  sendSilence(ms: number, options: SendAudioOptions = {}): Promise<void> {
    return this.sendAudio(silence(ms), options);
  }

  /** Sends a `dtmf` message (after any audio already queued). */
  sendDtmf(digit: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.ended) return;
      this.send({
        event: 'dtmf',
        streamSid: this.streamSid,
        sequenceNumber: this.nextSequence(),
        dtmf: { track: 'inbound_track', digit },
      });
    });
  }

  /** Sends a frame as is, unvalidated and uncounted (for malformed-frame tests). */
  sendRaw(data: string | Buffer): void {
    this.log.push({ direction: 'sent', atMs: this.elapsed(), message: describeMessage(data) });
    this.ws.send(data, { binary: Buffer.isBuffer(data) });
  }

  /**
   * The caller hangs up: any audio still being sent stops, Twilio sends `stop` and closes the socket
   * with 1000. Resolves with the close code and reason once the socket has closed.
   */
  async hangUp(): Promise<{ code: number; reason: string }> {
    if (!this.ended && this.isOpen) {
      this.ended = true;
      this.send({
        event: 'stop',
        sequenceNumber: this.nextSequence(),
        stop: { accountSid: this.accountSid, callSid: this.callSid },
        streamSid: this.streamSid,
      });
      this.ws.close(1000);
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close frame or `stop` (a network failure). */
  terminate(): void {
    this.ended = true;
    this.ws.terminate();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.sendChain.then(job);
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.openedAt);
  }

  private sendFrame(frame: Buffer, mediaTime: number): void {
    const since = Math.round(mediaTime - (this.startedAt ?? this.openedAt));
    const timestamp = Math.max(since, this.lastTimestamp + FRAME_MS);
    this.lastTimestamp = timestamp;
    this.send(
      this.callerMedia.next(this.streamSid, this.nextSequence(), frame.toString('base64'), timestamp),
    );
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.violations.push(...validateFromTwilio(message));
    this.sent.push(message);
    this.log.push({ direction: 'sent', atMs: this.elapsed(), message });
    this.ws.send(JSON.stringify(message));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.violations.push({
        direction: 'to-twilio',
        message: describeMessage(data),
        why: 'binary frame (Twilio takes text JSON)',
      });
      this.received.push(data);
      this.waiter.notify();
      return;
    }
    const { text, message } = this.receiveText(data);
    this.log.push({ direction: 'received', atMs: this.elapsed(), message });
    const problems = validateToTwilio(text);
    this.violations.push(...problems);
    if (problems.length === 0 && isRecord(message)) {
      if (message.streamSid !== this.streamSid) {
        this.violations.push({
          direction: 'to-twilio',
          message: describeMessage(text),
          why: `streamSid is not this stream's (${this.streamSid})`,
        });
      } else {
        this.play(message);
      }
    }
    this.waiter.notify();
  }

  private play(message: Record<string, unknown>): void {
    const now = performance.now();
    if (message.event === 'media' && isRecord(message.media)) {
      const payload = String(message.media.payload);
      const bytes = Buffer.from(payload, 'base64').length;
      this.media.push(payload);
      this.receivedByteCount += bytes;
      this.enqueuedBytes += bytes;
      this.playbackEndsAt = Math.max(this.playbackEndsAt, now) + bytes / ULAW_BYTES_PER_MS;
      this.scheduleIdleNotify();
    } else if (message.event === 'mark' && isRecord(message.mark)) {
      const name = String(message.mark.name);
      this.marks.push(name);
      this.pendingMarks.push({ kind: 'mark', name, dueAt: Math.max(this.playbackEndsAt, now) });
      this.scheduleMarks();
    } else if (message.event === 'clear') {
      this.clearCount += 1;
      this.dropped += this.queuedBytes();
      this.playbackEndsAt = now;
      // Twilio echoes the marks a clear discards, at once, in order.
      for (const mark of this.pendingMarks.splice(0)) this.echoMark(mark.name);
      clearTimeout(this.markTimer);
      this.scheduleIdleNotify();
    }
  }

  /** One timer for the earliest pending mark keeps echoes in order. */
  private scheduleMarks(): void {
    clearTimeout(this.markTimer);
    const head = this.pendingMarks[0];
    if (!head) return;
    this.markTimer = setTimeout(
      () => {
        const now = performance.now();
        while (this.pendingMarks[0] && this.pendingMarks[0].dueAt <= now + 0.5) {
          const mark = this.pendingMarks.shift();
          if (mark) this.echoMark(mark.name);
        }
        this.waiter.notify();
        this.scheduleMarks();
      },
      Math.max(0, head.dueAt - performance.now()),
    );
  }

  private scheduleIdleNotify(): void {
    clearTimeout(this.idleTimer);
    const wait = this.playbackEndsAt - performance.now();
    if (wait > 0) this.idleTimer = setTimeout(() => this.waiter.notify(), wait + 1);
  }

  private echoMark(name: string): void {
    this.markEchoes.push(name);
    this.send({
      event: 'mark',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      mark: { name },
    });
  }
}

/**
 * Opens a Media Stream as Twilio does: a WebSocket upgrade carrying `X-Twilio-Signature` (computed
 * over the `wss://` stream URL with no parameters), then `connected` and `start`. Rejects with
 * `StreamRejectedError` when the upgrade is answered with an HTTP status.
 */
export function openStream(options: OpenStreamOptions): Promise<TwilioCallStream> {
  const streamSid = options.streamSid ?? randomSid('MZ');
  const twimlProblems: Violation[] = [];
  const url = new URL(options.streamUrl);
  if (url.protocol !== 'wss:') {
    twimlProblems.push({
      direction: 'twiml',
      message: options.streamUrl,
      why: 'a <Stream> url must be wss:// (Twilio error 31922)',
    });
  }
  if (url.search !== '') {
    // Twilio does not pass a query string on to the stream; drop it like Twilio does.
    twimlProblems.push({
      direction: 'twiml',
      message: options.streamUrl,
      why: 'Twilio strips the query string of a <Stream> url',
    });
    url.search = '';
  }
  const signedUrl = url.toString();
  const headers = {
    'User-Agent': 'Twilio.TmeWs/1.0',
    ...signatureHeader(options.handshakeSignature ?? 'valid', options.authToken, signedUrl, {}),
  };
  const target = options.connectTo ?? signedUrl;
  return handled(
    new Promise<TwilioCallStream>((resolve, reject) => {
      // Twilio offers no subprotocol and no compression.
      const ws = new WebSocket(target, {
        headers,
        handshakeTimeout: options.openTimeoutMs ?? 5000,
        perMessageDeflate: false,
      });
      const stream = new TwilioCallStream(ws, { ...options, streamSid });
      stream.violations.push(...twimlProblems);
      ws.on('unexpected-response', (request, response) => {
        reject(new StreamRejectedError(response.statusCode ?? 0));
        response.resume();
        request.destroy();
      });
      ws.on('error', (error) => reject(error));
      ws.on('open', () => {
        stream.sendConnected();
        if (options.sendStart ?? true) stream.sendStart(options.parameters ?? {});
        resolve(stream);
      });
    }),
  );
}
