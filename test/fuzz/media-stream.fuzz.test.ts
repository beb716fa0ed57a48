/**
 * Issue 11 item 8: malformed and random frames (fast-check, seeded) on many concurrent media-stream
 * sockets, some before `start`, some on claimed calls, while well-formed calls stream beside them.
 * Zero crashes; the well-formed calls get every payload, in order, untouched; memory stays bounded;
 * every socket is accounted for at the end.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket from 'ws';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store';
import { createBridgeHttpServer } from '../../services/bridge/http-server';
import { type Bridge, createBridge } from '../../services/bridge/server';
import { hashStreamToken, newStreamToken } from '../../services/core/stream-token';
import type { EngineSession, VoiceEngine } from '../../services/core/voice-engine';
import { openStream, randomSid } from '../../services/local/sim/twilio-caller';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { FRAMES, report, SEED } from './profile';

const STREAM_URL = 'wss://bridge.bolt-voice.test/media-stream';

/** Heap in use after a full collection (V8's gc, reached without a command-line flag). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}
const FUZZ_SOCKETS = 8;
const GOOD_CALLS = 2;

/** Engine double: records what each call's engine received, by callSid. */
function recordingEngine() {
  const received = new Map<string, string[]>();
  const engine: VoiceEngine = {
    name: 'elevenlabs',
    capabilities: { turnDetection: 'engine', truncateOnBargeIn: false, toolProtocol: 'client-tool' },
    async start(context) {
      const payloads: string[] = [];
      received.set(context.callSid, payloads);
      const session: EngineSession = {
        sendCallerAudio: (payload) => payloads.push(payload),
        sendToolResult: () => {},
        truncate: () => {},
        sendKeypress: () => {},
        bufferedAmount: () => 0,
        close: () => {},
      };
      return session;
    },
  };
  return { engine, received };
}

/** Frames a hostile or broken peer might send: noise, wrong JSON, and near-valid Twilio messages. */
function frameArbitrary(callSid: string) {
  const sid = fc.oneof(fc.constant(callSid), fc.string({ maxLength: 40 }));
  const base64ish = fc.oneof(
    fc.base64String({ maxLength: 400 }),
    fc.string({ maxLength: 200 }),
    fc.constant(''),
    fc.constant('===='),
  );
  const counter = fc.oneof(
    fc.nat().map(String),
    fc.string({ maxLength: 10 }),
    fc.integer().map((n) => n),
  );
  const media = fc.record({
    event: fc.constant('media'),
    sequenceNumber: counter,
    streamSid: sid,
    media: fc.record(
      {
        track: fc.oneof(fc.constant('inbound'), fc.constant('outbound'), fc.string({ maxLength: 8 })),
        chunk: counter,
        timestamp: counter,
        payload: base64ish,
      },
      { requiredKeys: [] },
    ),
  });
  const start = fc.record({
    event: fc.constant('start'),
    sequenceNumber: counter,
    streamSid: sid,
    start: fc.record(
      {
        accountSid: fc.oneof(fc.constant(TEST_ACCOUNT_SID), fc.string({ maxLength: 34 })),
        streamSid: sid,
        callSid: sid,
        tracks: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        customParameters: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 60 }), {
          maxKeys: 4,
        }),
        mediaFormat: fc.record({
          encoding: fc.oneof(fc.constant('audio/x-mulaw'), fc.string({ maxLength: 12 })),
          sampleRate: fc.oneof(fc.constant(8000), fc.integer()),
          channels: fc.oneof(fc.constant(1), fc.integer()),
        }),
      },
      { requiredKeys: [] },
    ),
  });
  const other = fc.record({
    event: fc.constantFrom('mark', 'dtmf', 'connected', 'clear', 'stop', 'unknown', ''),
    streamSid: sid,
    mark: fc.record({ name: fc.string({ maxLength: 30 }) }, { requiredKeys: [] }),
    dtmf: fc.record(
      { track: fc.string({ maxLength: 8 }), digit: fc.string({ maxLength: 3 }) },
      { requiredKeys: [] },
    ),
  });
  return fc.oneof(
    { arbitrary: media.map((m) => JSON.stringify(m)), weight: 5 },
    { arbitrary: start.map((m) => JSON.stringify(m)), weight: 1 },
    { arbitrary: other.map((m) => JSON.stringify(m)), weight: 2 },
    { arbitrary: fc.json({ maxDepth: 4 }), weight: 2 },
    { arbitrary: fc.string({ maxLength: 300 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), weight: 1 },
  );
}

describe('fuzzed media-stream frames across concurrent calls', () => {
  let dynamo: TestDynamo;
  let sessions: DynamoCallSessionStore;
  let bridge: Bridge;
  let server: Server;
  let address: string;
  const recording = recordingEngine();

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
    bridge = createBridge({
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      streamUrl: STREAM_URL,
      business: { name: 'Bolt', timezone: 'America/New_York' },
      engineConnectTimeoutMs: 2000,
      sessions,
      engines: { elevenlabs: recording.engine },
      tools: { definitions: () => [], run: async () => ({ ok: true, text: '' }) },
      now: Date.now,
      streamStartTimeoutMs: 2000,
    });
    server = createBridgeHttpServer(bridge);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/media-stream`;
  });
  afterAll(async () => {
    await bridge.close();
    await new Promise((resolve) => server.close(resolve));
    await dynamo.close();
  });

  async function newSession(): Promise<{ callSid: string; token: string }> {
    const callSid = randomSid('CA');
    const token = newStreamToken();
    await sessions.open({
      callSid,
      direction: 'inbound',
      from: '+15551230001',
      to: '+15550001111',
      provider: 'elevenlabs',
      streamTokenHash: hashStreamToken(token),
      createdAt: Date.now(),
    });
    return { callSid, token };
  }

  /** A raw socket with a valid handshake; `claimed`: it first starts a real call (a valid token). */
  async function fuzzSocket(claimed: boolean): Promise<{ ws: WebSocket; callSid: string }> {
    const ws = new WebSocket(address, {
      headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, STREAM_URL, {}) },
      perMessageDeflate: false,
    });
    ws.on('error', () => {}); // a refused or closed socket is an expected outcome here
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', () => reject(new Error('upgrade refused')));
    });
    let callSid = randomSid('CA');
    if (claimed) {
      const session = await newSession();
      callSid = session.callSid;
      ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
      ws.send(
        JSON.stringify({
          event: 'start',
          sequenceNumber: '1',
          streamSid: randomSid('MZ'),
          start: {
            accountSid: TEST_ACCOUNT_SID,
            streamSid: randomSid('MZ'),
            callSid,
            tracks: ['inbound'],
            customParameters: { token: session.token, callSid },
            mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          },
        }),
      );
    }
    return { ws, callSid };
  }

  it(`delivers ${FRAMES} fuzzed frames without a crash, and the well-formed calls are unaffected`, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    // Generated first: sampling 100,000 frames holds the event loop for seconds, which would
    // otherwise outlast the start timeout of the calls opened before it.
    const frames = fc.sample(frameArbitrary('CAfuzz'), { numRuns: FRAMES, seed: SEED });
    const heapBefore = heapAfterGc();
    // The well-formed calls, through the protocol-faithful Twilio simulator.
    const good = await Promise.all(
      Array.from({ length: GOOD_CALLS }, async () => {
        const { callSid, token } = await newSession();
        const stream = await openStream({
          streamUrl: STREAM_URL,
          connectTo: address,
          authToken: TEST_AUTH_TOKEN,
          accountSid: TEST_ACCOUNT_SID,
          callSid,
          parameters: { token, callSid },
        });
        return { callSid, stream };
      }),
    );

    let delivered = 0;
    let reconnects = 0;
    let closedByBridge = 0;
    const perSocket = Math.ceil(frames.length / FUZZ_SOCKETS);
    const fuzzers = Array.from({ length: FUZZ_SOCKETS }, async (_, i) => {
      let socket = await fuzzSocket(i % 2 === 0);
      const mine = frames.slice(i * perSocket, (i + 1) * perSocket);
      for (let n = 0; n < mine.length; n++) {
        if (socket.ws.readyState !== WebSocket.OPEN) {
          closedByBridge++;
          reconnects++;
          socket = await fuzzSocket(reconnects % 2 === 0);
        }
        socket.ws.send(mine[n] as string | Buffer);
        delivered++;
        // Keep the bridge's and the client's buffers small; let the event loop breathe.
        if (n % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
      }
      socket.ws.close();
    });
    // The well-formed calls keep streaming 20 ms frames for as long as the fuzzing lasts.
    let fuzzing = true;
    const streaming = good.map(async ({ stream }, i) => {
      for (let k = 0; fuzzing; k++) {
        await stream.sendAudio(Buffer.alloc(160, (i * 31 + k) % 256), { paced: false });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await Promise.all(fuzzers);
    fuzzing = false;
    await Promise.all(streaming);

    let goodFrames = 0;
    // Well-formed calls: every frame they sent reached their engine, identical and in order.
    for (const { callSid, stream } of good) {
      const sent = stream.sent
        .filter(
          (m): m is { event: 'media'; media: { payload: string } } =>
            (m as { event?: string }).event === 'media',
        )
        .map((m) => m.media.payload);
      for (let i = 0; i < 100 && (recording.received.get(callSid)?.length ?? 0) < sent.length; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sent.length).toBeGreaterThan(0);
      expect(recording.received.get(callSid)).toEqual(sent);
      goodFrames += sent.length;
      await stream.hangUp();
    }
    // Every socket is accounted for: nothing lingers as a live call.
    for (let i = 0; i < 200 && bridge.activeCalls() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bridge.activeCalls()).toBe(0);
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);

    // Measured after a full GC with the frames still held on both sides: what the bridge kept.
    const heapGrowthMiB = (heapAfterGc() - heapBefore) / 2 ** 20;
    expect(heapGrowthMiB).toBeLessThan(32);
    expect(delivered).toBe(FRAMES);
    report('mediaStream', {
      frames: delivered,
      concurrentFuzzSockets: FUZZ_SOCKETS,
      wellFormedCalls: GOOD_CALLS,
      wellFormedFramesDelivered: goodFrames,
      socketsClosedByBridge: closedByBridge,
      heapGrowthMiBAfterGc: Math.round(heapGrowthMiB * 10) / 10,
    });
  }, 600_000);
});
