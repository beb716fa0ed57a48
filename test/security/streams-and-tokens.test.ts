/**
 * A socket that never sends `start` is no call and is closed, and only so many may wait at once; a
 * token works only within STREAM_TOKEN_TTL_MS of the webhook that issued it; a replayed inbound
 * webhook for a call that is already streaming or ended mints nothing usable.
 */
import { STREAM_TOKEN_TTL_MS } from '../../services/core/call/stream-token';
import { openStream, placeCall } from '../../services/local/sim/twilio-caller';
import { startHarness } from '../e2e/harness';
import { STREAM_URL, startTestBridge, type TestBridge } from '../support/bridge-harness';
import { fakeEngine } from '../support/fake-engine';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { waitUntil } from '../support/wait-until';

describe('streams and tokens on the bridge', () => {
  let clock = Date.now();
  const recording = fakeEngine();
  let t: TestBridge;

  beforeAll(async () => {
    t = await startTestBridge(recording.engine, { now: () => clock, streamStartTimeoutMs: 300 });
  });
  afterAll(() => t.close());

  const session = (issuedAt: number) => t.newSession(issuedAt);

  it('a socket that sends no start is no call (no live call, no protection) and is closed at the start timeout', async () => {
    const reported: number[] = [];
    const quiet = await startTestBridge(recording.engine, {
      streamStartTimeoutMs: 300,
      onActiveCallsChanged: (n) => reported.push(n),
    });
    try {
      const stream = await openStream({
        streamUrl: STREAM_URL,
        connectTo: quiet.address,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid: 'CA'.padEnd(34, 'd'),
        sendStart: false,
      });
      await waitUntil(() => quiet.bridge.pendingStreams() > 0, 'the socket to wait for its start');
      expect(quiet.bridge.pendingStreams()).toBe(1);
      expect(quiet.bridge.activeCalls()).toBe(0);
      await stream.closed;
      await waitUntil(() => quiet.bridge.pendingStreams() === 0, 'no socket waiting for its start');
      expect(quiet.bridge.pendingStreams()).toBe(0);
      expect(reported).toEqual([]);

      // A real call counts from its start.
      const { callSid, token } = await quiet.newSession();
      const call = await quiet.openCall(callSid, token);
      await waitUntil(() => quiet.bridge.activeCalls() > 0, 'the call to go live');
      expect(quiet.bridge.activeCalls()).toBe(1);
      expect(reported).toEqual([1]);
      await call.hangUp();
    } finally {
      await quiet.close();
    }
  });

  it('refuses new sockets (503) while too many wait for their start', async () => {
    const capped = await startTestBridge(recording.engine, {
      streamStartTimeoutMs: 5000,
      maxPendingStreams: 2,
    });
    const silent = () =>
      openStream({
        streamUrl: STREAM_URL,
        connectTo: capped.address,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid: 'CA'.padEnd(34, 'e'),
        sendStart: false,
      });
    try {
      const waiting = [await silent(), await silent()];
      await expect(silent()).rejects.toMatchObject({ status: 503 });
      await waiting[0]?.hangUp();
      await waitUntil(() => capped.bridge.pendingStreams() <= 1, 'a waiting socket to go');
      const next = await silent();
      await next.hangUp();
      await waiting[1]?.hangUp();
    } finally {
      await capped.close();
    }
  });

  it('accepts a token just inside its lifetime', async () => {
    clock = Date.now();
    const { callSid, token } = await session(clock - STREAM_TOKEN_TTL_MS + 1000);
    const before = recording.sessions.length;
    const stream = await t.openCall(callSid, token);
    await waitUntil(() => recording.sessions.length > before, 'an engine session');
    expect(recording.sessions.length).toBe(before + 1);
    expect((await t.sessions.get(callSid))?.session.status).toBe('streaming');
    await stream.hangUp();
  });

  it('refuses a token issued more than five minutes before the stream, and opens no engine', async () => {
    clock = Date.now();
    const { callSid, token } = await session(clock - STREAM_TOKEN_TTL_MS - 1000);
    const before = recording.sessions.length;
    const stream = await t.openCall(callSid, token);
    expect((await stream.closed).code).toBe(1008);
    expect(recording.sessions.length).toBe(before);
    expect((await t.sessions.get(callSid))?.session.status).toBe('created');
  });
});

describe('a replayed inbound webhook', () => {
  it('for a call already streaming, or ended, answers an empty Response with no token, and the old token stays single-use', async () => {
    const h = await startHarness();
    try {
      const callSid = `CA${'e'.repeat(32)}`;
      const { stream } = await h.call({ callSid });
      const first = stream.sent.find((m) => (m as { event?: string }).event === 'start') as {
        start: { customParameters: Record<string, string> };
      };
      const replay = () =>
        placeCall({
          baseUrl: h.stack.url,
          publicUrl: 'https://bolt-voice.test',
          accountSid: TEST_ACCOUNT_SID,
          authToken: TEST_AUTH_TOKEN,
          from: '+15551230001',
          to: '+15550001111',
          callSid,
        });
      const whileStreaming = await replay();
      expect(whileStreaming.status).toBe(200);
      expect(whileStreaming.twiml).toBeUndefined();
      expect(whileStreaming.body).not.toContain('token');

      await stream.hangUp();
      const afterEnd = await replay();
      expect(afterEnd.twiml).toBeUndefined();
      // The first token cannot open a second stream either.
      const again = await openStream({
        streamUrl: 'wss://bolt-voice.test/media-stream',
        connectTo: `${h.stack.url.replace(/^http/, 'ws')}/media-stream`,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid,
        parameters: first.start.customParameters,
      });
      expect((await again.closed).code).toBe(1008);
    } finally {
      await h.close();
    }
  });
});
