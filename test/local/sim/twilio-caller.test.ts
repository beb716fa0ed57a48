/**
 * The simulated Twilio against a minimal bridge written here: a form webhook that checks the
 * signature with twilio's own `validateRequest` and answers TwiML, and a WebSocket endpoint that
 * checks the handshake signature and lets each test play the bridge.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { silence } from '../../../services/local/sim/audio.js';
import {
  openStream,
  placeCall,
  StreamRejectedError,
  sendStatusCallback,
  type TwilioCallStream,
} from '../../../services/local/sim/twilio-caller.js';
import { Waiter } from '../../../services/local/sim/waiter.js';
import { receivedTwilioForm } from '../../support/twilio.js';

const AUTH_TOKEN = 'test-auth-token';
const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const PUBLIC_URL = 'https://voice.example.com';
const STREAM_URL = 'wss://voice.example.com/media-stream';
const TOKEN = 'tok&en<1>';

interface FakeBridge {
  baseUrl: string;
  wsUrl: string;
  webhooks: Array<{ path: string; params: Record<string, string>; signatureValid: boolean }>;
  upgrades: Array<{ signatureValid: boolean; userAgent?: string }>;
  received: Array<Record<string, unknown>>;
  socket(): WebSocket;
  waitForMessages(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startFakeBridge(): Promise<FakeBridge> {
  const waiter = new Waiter();
  const webhooks: FakeBridge['webhooks'] = [];
  const upgrades: FakeBridge['upgrades'] = [];
  const received: Array<Record<string, unknown>> = [];
  const sockets: WebSocket[] = [];
  const server: Server = createServer(async (req, res) => {
    const { params, signatureValid } = await receivedTwilioForm(req, PUBLIC_URL, AUTH_TOKEN);
    webhooks.push({ path: req.url ?? '', params, signatureValid });
    if (!signatureValid) {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        `<Stream url="${STREAM_URL}" statusCallback="${PUBLIC_URL}/twilio/stream-status">` +
        '<Parameter name="token" value="tok&amp;en&lt;1&gt;"/><Parameter name="direction" value="inbound"/>' +
        '</Stream></Connect></Response>',
    );
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const signature = req.headers['x-twilio-signature'];
    const signatureValid =
      typeof signature === 'string' && validateRequest(AUTH_TOKEN, signature, STREAM_URL, {});
    upgrades.push({ signatureValid, userAgent: req.headers['user-agent'] });
    if (!signatureValid) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data) => {
        try {
          received.push(JSON.parse(String(data)) as Record<string, unknown>);
        } catch {
          received.push({ raw: String(data) });
        }
        waiter.notify();
      });
      waiter.notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/media-stream`,
    webhooks,
    upgrades,
    received,
    socket: () => {
      const ws = sockets.at(-1);
      if (!ws) throw new Error('no stream connected');
      return ws;
    },
    waitForMessages: (count) => waiter.waitFor(() => received.length >= count, 5000, `${count} messages`),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let bridge: FakeBridge;
let stream: TwilioCallStream | undefined;

beforeEach(async () => {
  bridge = await startFakeBridge();
});

afterEach(async () => {
  stream?.terminate();
  stream = undefined;
  await bridge.close();
});

const callOptions = () => ({
  baseUrl: bridge.baseUrl,
  publicUrl: PUBLIC_URL,
  accountSid: ACCOUNT_SID,
  authToken: AUTH_TOKEN,
  from: '+15551230001',
  to: '+15559870002',
});

async function connect(): Promise<TwilioCallStream> {
  const call = await placeCall(callOptions());
  if (!call.twiml) throw new Error('no TwiML stream');
  stream = await openStream({
    streamUrl: call.twiml.streamUrl,
    connectTo: bridge.wsUrl,
    authToken: AUTH_TOKEN,
    accountSid: ACCOUNT_SID,
    callSid: call.callSid,
    parameters: call.twiml.parameters,
  });
  await bridge.waitForMessages(2);
  return stream;
}

function sendFromBridge(message: Record<string, unknown>): void {
  bridge.socket().send(JSON.stringify(message));
}

describe('placeCall', () => {
  it('posts the signed voice webhook Twilio sends and parses the TwiML stream', async () => {
    const call = await placeCall(callOptions());

    expect(call.status).toBe(200);
    expect(bridge.webhooks).toHaveLength(1);
    const [webhook] = bridge.webhooks;
    expect(webhook?.signatureValid).toBe(true);
    expect(webhook?.path).toBe('/twilio/inbound');
    expect(webhook?.params).toMatchObject({
      AccountSid: ACCOUNT_SID,
      CallSid: call.callSid,
      From: '+15551230001',
      To: '+15559870002',
      Caller: '+15551230001',
      Called: '+15559870002',
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });
    expect(call.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.twiml).toEqual({
      streamUrl: STREAM_URL,
      parameters: { token: TOKEN, direction: 'inbound' },
      attributes: { statusCallback: `${PUBLIC_URL}/twilio/stream-status` },
    });
  });

  it.each(['forged', 'missing'] as const)(
    'sends a %s signature when asked, which the bridge refuses',
    async (signature) => {
      const call = await placeCall({ ...callOptions(), signature });
      expect(call.status).toBe(403);
      expect(call.twiml).toBeUndefined();
      expect(bridge.webhooks[0]?.signatureValid).toBe(false);
    },
  );

  it('signs outbound answers and status callbacks the same way', async () => {
    const answered = await placeCall({
      ...callOptions(),
      path: '/twilio/outbound',
      direction: 'outbound-api',
    });
    const status = await sendStatusCallback({
      ...callOptions(),
      callSid: answered.callSid,
      callStatus: 'completed',
      callDurationSeconds: 75,
    });
    expect(answered.status).toBe(200);
    expect(status.status).toBe(200);
    expect(bridge.webhooks.map((w) => [w.path, w.signatureValid])).toEqual([
      ['/twilio/outbound', true],
      ['/twilio/status', true],
    ]);
    expect(bridge.webhooks[0]?.params).toMatchObject({
      Direction: 'outbound-api',
      CallStatus: 'in-progress',
    });
    expect(bridge.webhooks[1]?.params).toMatchObject({
      CallStatus: 'completed',
      CallDuration: '75',
      Duration: '2',
    });
  });
});

describe('openStream', () => {
  it('signs the upgrade over the public wss URL and sends connected then start', async () => {
    const s = await connect();

    expect(bridge.upgrades).toEqual([{ signatureValid: true, userAgent: 'Twilio.TmeWs/1.0' }]);
    expect(bridge.received[0]).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(bridge.received[1]).toEqual({
      event: 'start',
      sequenceNumber: '1',
      start: {
        accountSid: ACCOUNT_SID,
        streamSid: s.streamSid,
        callSid: s.callSid,
        tracks: ['inbound'],
        customParameters: { token: TOKEN, direction: 'inbound' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: s.streamSid,
    });
    expect(s.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(s.violations).toEqual([]);
  });

  it.each(['forged', 'missing'] as const)(
    'a %s handshake signature is refused with the HTTP status',
    async (mode) => {
      const attempt = openStream({
        streamUrl: STREAM_URL,
        connectTo: bridge.wsUrl,
        authToken: AUTH_TOKEN,
        accountSid: ACCOUNT_SID,
        callSid: `CA${'2'.repeat(32)}`,
        handshakeSignature: mode,
      });
      await expect(attempt).rejects.toBeInstanceOf(StreamRejectedError);
      await expect(attempt).rejects.toMatchObject({ status: 401 });
      expect(bridge.upgrades[0]?.signatureValid).toBe(false);
    },
  );

  it('flags a stream URL with a query string or without wss, and signs it without the query', async () => {
    const s = await openStream({
      streamUrl: `${STREAM_URL}?token=abc`,
      connectTo: bridge.wsUrl,
      authToken: AUTH_TOKEN,
      accountSid: ACCOUNT_SID,
      callSid: `CA${'2'.repeat(32)}`,
    });
    stream = s;
    expect(bridge.upgrades[0]?.signatureValid).toBe(true);
    expect(s.violations.map((v) => v.why)).toEqual(['Twilio strips the query string of a <Stream> url']);
  });
});

describe('caller → bridge messages', () => {
  it('sends frames with string counters, chunks from 1 and ms timestamps, then dtmf and stop', async () => {
    const s = await connect();
    await s.sendAudio(Buffer.alloc(400, 0x10), { paced: false }); // 2.5 frames: the last one is padded
    await s.sendDtmf('5');
    const closed = await s.hangUp();
    await bridge.waitForMessages(7);

    const media = bridge.received.filter((m) => m.event === 'media');
    expect(media.map((m) => m.sequenceNumber)).toEqual(['2', '3', '4']);
    expect(media.map((m) => (m.media as Record<string, string>).chunk)).toEqual(['1', '2', '3']);
    const timestamps = media.map((m) => Number((m.media as Record<string, string>).timestamp));
    expect(timestamps[1]! - timestamps[0]!).toBeGreaterThanOrEqual(20);
    expect(timestamps[2]! - timestamps[1]!).toBeGreaterThanOrEqual(20);
    for (const m of media) expect(m).toMatchObject({ streamSid: s.streamSid, media: { track: 'inbound' } });
    const frames = media.map((m) => Buffer.from((m.media as Record<string, string>).payload!, 'base64'));
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(frames[2]!.subarray(80)).toEqual(silence(10));

    expect(bridge.received.at(-2)).toEqual({
      event: 'dtmf',
      streamSid: s.streamSid,
      sequenceNumber: '5',
      dtmf: { track: 'inbound_track', digit: '5' },
    });
    expect(bridge.received.at(-1)).toEqual({
      event: 'stop',
      sequenceNumber: '6',
      stop: { accountSid: ACCOUNT_SID, callSid: s.callSid },
      streamSid: s.streamSid,
    });
    expect(closed.code).toBe(1000);
    expect(s.violations).toEqual([]);
  });

  it('paces audio in real time on a 20 ms schedule', async () => {
    const s = await connect();
    const began = performance.now();
    await s.sendAudio(silence(200));
    const took = performance.now() - began;
    await bridge.waitForMessages(12);
    const media = bridge.received.filter((m) => m.event === 'media');
    const timestamps = media.map((m) => Number((m.media as Record<string, string>).timestamp));
    // A lower bound only: ten frames cannot go out faster than 9 × 20 ms when paced.
    expect(took).toBeGreaterThanOrEqual(175);
    expect(timestamps.slice(1).map((t, i) => t - timestamps[i]!)).toEqual(Array(9).fill(20));
  });

  it('sends raw frames untouched and unvalidated', async () => {
    const s = await connect();
    s.sendRaw('{"event":"media","media":');
    await bridge.waitForMessages(3);
    expect(bridge.received[2]).toEqual({ raw: '{"event":"media","media":' });
    expect(s.violations).toEqual([]);
    expect(s.sent).toHaveLength(2);
  });
});

describe('bridge → caller playback', () => {
  it('echoes a mark only after the audio queued before it has played', async () => {
    const s = await connect();
    const sentAt = performance.now();
    sendFromBridge({
      event: 'media',
      streamSid: s.streamSid,
      media: { payload: silence(150).toString('base64') },
    });
    sendFromBridge({ event: 'mark', streamSid: s.streamSid, mark: { name: 'after-150ms' } });
    await s.waitForMarkEcho('after-150ms', 3000);
    const echoedAfter = performance.now() - sentAt;

    expect(echoedAfter).toBeGreaterThanOrEqual(140);
    expect(s.playedBytes()).toBe(1200);
    expect(s.receivedAudio()).toEqual(silence(150));
    await bridge.waitForMessages(3);
    expect(bridge.received.at(-1)).toEqual({
      event: 'mark',
      sequenceNumber: '2',
      streamSid: s.streamSid,
      mark: { name: 'after-150ms' },
    });
    expect(s.violations).toEqual([]);
  });

  it('echoes a mark at once when nothing is queued, and marks in order', async () => {
    const s = await connect();
    sendFromBridge({ event: 'mark', streamSid: s.streamSid, mark: { name: 'first' } });
    sendFromBridge({
      event: 'media',
      streamSid: s.streamSid,
      media: { payload: silence(40).toString('base64') },
    });
    sendFromBridge({ event: 'mark', streamSid: s.streamSid, mark: { name: 'second' } });
    sendFromBridge({ event: 'mark', streamSid: s.streamSid, mark: { name: 'third' } });
    await s.waitForMarkEcho('third', 3000);
    expect(s.markEchoes).toEqual(['first', 'second', 'third']);
    expect(s.marks).toEqual(['first', 'second', 'third']);
  });

  it('clear drops the queued audio and echoes pending marks at once', async () => {
    const s = await connect();
    sendFromBridge({
      event: 'media',
      streamSid: s.streamSid,
      media: { payload: silence(3000).toString('base64') },
    });
    sendFromBridge({ event: 'mark', streamSid: s.streamSid, mark: { name: 'end-of-reply' } });
    await s.waitForAudio(24_000, 3000);
    expect(s.markEchoes).toEqual([]);
    sendFromBridge({ event: 'clear', streamSid: s.streamSid });
    await s.waitForClear(3000);

    expect(s.markEchoes).toEqual(['end-of-reply']);
    expect(s.queuedBytes()).toBe(0);
    expect(s.droppedBytes).toBeGreaterThan(0);
    expect(s.playedBytes() + s.droppedBytes).toBe(24_000);
    await s.waitForPlayedOut(100);
  });

  it('records protocol violations by the bridge', async () => {
    const s = await connect();
    sendFromBridge({ event: 'mark', streamSid: s.streamSid });
    sendFromBridge({ event: 'media', streamSid: s.streamSid, media: { payload: 'AAAA' }, track: 'outbound' });
    sendFromBridge({ event: 'clear', streamSid: `MZ${'f'.repeat(32)}` });
    await s.waitFor((x) => x.received.length === 3, 3000);

    expect(s.violations.map((v) => v.why)).toEqual([
      "mark: (message) must have required property 'mark'",
      "media: (message) must NOT have additional properties 'track'",
      `streamSid is not this stream's (${s.streamSid})`,
    ]);
    expect(s.clears).toBe(0);
    expect(s.media).toEqual([]);
  });

  it('reports the close when the bridge ends the stream', async () => {
    const s = await connect();
    bridge.socket().close(1000, 'engine ended');
    expect(await s.waitForClose(3000)).toEqual({ code: 1000, reason: 'engine ended' });
    expect(s.isOpen).toBe(false);
  });
});
