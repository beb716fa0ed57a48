/**
 * Malformed and random frames (fast-check, seeded) on many concurrent media-stream
 * sockets, some before `start`, some on claimed calls, while well-formed calls stream beside them.
 * Zero crashes; the well-formed calls get every payload, in order, untouched; memory stays bounded;
 * every socket is accounted for at the end.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket from 'ws';
import { randomSid } from '../../services/local/sim/twilio-caller';
import { STREAM_URL, startTestBridge, type TestBridge } from '../support/bridge-harness';
import { fakeEngine } from '../support/fake-engine';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { waitUntil } from '../support/wait-until';
import { FRAMES, report, SEED } from './profile';

/** Heap in use after a full collection (V8's gc, reached without a command-line flag). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}
const FUZZ_SOCKETS = 8;
const GOOD_CALLS = 2;

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
  /** A well-formed `start` with a forged token: it must never open an engine session. */
  const forgedStart = fc.record({
    event: fc.constant('start'),
    sequenceNumber: fc.constant('1'),
    streamSid: fc.constant('MZfuzz'),
    start: fc.record({
      accountSid: fc.constant(TEST_ACCOUNT_SID),
      streamSid: fc.constant('MZfuzz'),
      callSid: fc.constant(callSid),
      tracks: fc.constant(['inbound']),
      customParameters: fc.record({
        token: fc.oneof(
          fc.string({ minLength: 1, maxLength: 60 }),
          fc.base64String({ minLength: 4, maxLength: 44 }),
        ),
        callSid: fc.constant(callSid),
      }),
      mediaFormat: fc.constant({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }),
    }),
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
    { arbitrary: forgedStart.map((m) => JSON.stringify(m)), weight: 1 },
    { arbitrary: other.map((m) => JSON.stringify(m)), weight: 2 },
    { arbitrary: fc.json({ maxDepth: 4 }), weight: 2 },
    { arbitrary: fc.string({ maxLength: 300 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), weight: 1 },
  );
}

describe('fuzzed media-stream frames across concurrent calls', () => {
  const recording = fakeEngine();
  let t: TestBridge;
  beforeAll(async () => {
    // Generous: the fuzzers' flood shares this process with the bridge, and on a loaded machine a
    // well-formed call's `start` could wait behind it past a short bound and be closed as start-less.
    t = await startTestBridge(recording.engine, { streamStartTimeoutMs: 10_000 });
  });
  afterAll(() => t.close());

  /** Calls given a valid stream token: the only ones an engine session may ever be opened for. */
  const issued = new Set<string>();
  let claimedSockets = 0;

  /** A raw socket with a valid handshake; `claimed`: it first starts a real call (a valid token). */
  async function fuzzSocket(claimed: boolean): Promise<{ ws: WebSocket; callSid: string }> {
    const ws = new WebSocket(t.address, {
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
      const session = await t.newSession();
      callSid = session.callSid;
      issued.add(callSid);
      claimedSockets++;
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
    try {
      // Generated first: sampling 100,000 frames holds the event loop for seconds, which would
      // otherwise outlast the start timeout of the calls opened before it.
      const frames = fc.sample(frameArbitrary(`CA${'f'.repeat(32)}`), { numRuns: FRAMES, seed: SEED });
      const heapBefore = heapAfterGc();
      // The well-formed calls, through the protocol-faithful Twilio simulator.
      const good = await Promise.all(
        Array.from({ length: GOOD_CALLS }, async () => {
          const { callSid, token } = await t.newSession();
          issued.add(callSid);
          const stream = await t.openCall(callSid, token);
          return { callSid, stream };
        }),
      );

      let framesSent = 0;
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
          framesSent++;
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
        const received = () => recording.sessionOf(callSid)?.audio ?? [];
        await waitUntil(
          () => received().length >= sent.length,
          `${sent.length} frames at ${callSid}'s engine`,
        );
        expect(sent.length).toBeGreaterThan(0);
        expect(received()).toEqual(sent);
        goodFrames += sent.length;
        await stream.hangUp();
      }
      // Every socket is accounted for: nothing lingers as a live call.
      await waitUntil(() => t.bridge.activeCalls() === 0, 'no live call left');
      expect(t.bridge.activeCalls()).toBe(0);
      expect(unhandled).toEqual([]);
      // No fuzzed `start` (a forged token, another account, another call's sid) opened an engine
      // session: every session belongs to a call that was given a token, at most one each.
      const opened = recording.sessions.map((session) => session.context.callSid);
      expect(opened.filter((callSid) => !issued.has(callSid))).toEqual([]);
      expect(opened.length).toBe(new Set(opened).size);
      expect(opened.length).toBeLessThanOrEqual(GOOD_CALLS + claimedSockets);
      expect(opened.length).toBeGreaterThanOrEqual(GOOD_CALLS);

      // Measured after a full GC with the frames still held on both sides: what the bridge kept.
      const heapGrowthMiB = (heapAfterGc() - heapBefore) / 2 ** 20;
      expect(heapGrowthMiB).toBeLessThan(32);
      report('mediaStream', {
        frames: framesSent,
        concurrentFuzzSockets: FUZZ_SOCKETS,
        wellFormedCalls: GOOD_CALLS,
        wellFormedFramesDelivered: goodFrames,
        socketsClosedByBridge: closedByBridge,
        engineSessionsOpened: recording.sessions.length,
        socketsGivenAValidToken: issued.size,
        heapGrowthMiBAfterGc: Math.round(heapGrowthMiB * 10) / 10,
      });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 600_000);
});
