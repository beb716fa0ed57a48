import type { CallControl } from '../../services/core/ports/telephony';
import { openStream } from '../../services/local/sim/twilio-caller';
import { STREAM_URL, startTestBridge, type TestBridge } from '../support/bridge-harness';
import { fakeEngine } from '../support/fake-engine';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually, waitUntil } from '../support/wait-until';

describe('a live call on the bridge', () => {
  let t: TestBridge;
  const control = fakeEngine();
  const hangUps: string[] = [];
  const hangUpAttempts: number[] = [];
  let hangUpFailures = 0;
  const turnLatencies: number[] = [];
  let maxCallSeconds = 900;

  beforeAll(async () => {
    t = await startTestBridge(control.engine, {
      engineConnectTimeoutMs: 1000,
      get maxCallSeconds() {
        return maxCallSeconds;
      },
      callControl: {
        hangUp: async (callSid: string) => {
          hangUpAttempts.push(Date.now());
          if (hangUpFailures > 0) {
            hangUpFailures--;
            throw new Error('Twilio answered 503');
          }
          hangUps.push(callSid);
        },
        redirect: async () => {},
      } as unknown as CallControl,
      onTurnLatency: (ms) => turnLatencies.push(ms),
    });
  });
  afterAll(() => t.close());

  /** A call streaming to the fake engine, and the engine session the bridge started for it. */
  async function startCall() {
    const { callSid, token } = await t.newSession();
    const stream = await t.openCall(callSid, token);
    await waitUntil(() => control.sessionOf(callSid) !== undefined, 'the bridge to start the engine');
    const engine = control.sessionOf(callSid)!;
    return { callSid, stream, engine };
  }

  async function endedWith(callSid: string): Promise<string | undefined> {
    const record = await eventually(
      () => t.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
    );
    return record?.session.endReason;
  }

  it('fails over an engine whose socket cannot keep up (here none is left: the outage apology)', async () => {
    const { callSid, stream, engine } = await startCall();
    engine.buffered = 2 * 1024 * 1024;
    await stream.sendAudio(Buffer.alloc(320, 0x22), { paced: false });
    await stream.closed;
    expect(await endedWith(callSid)).toMatch(
      /^engine-outage: no engine left: elevenlabs: engine-stalled \(backpressure\): \d+ bytes unsent/,
    );
    expect(engine.closed).toBe(true);
  });

  it('measures a quiet turn from its end, not from the speech of a turn the agent already answered', async () => {
    const { stream, engine } = await startCall();
    const listener = engine.listener;
    const agentAudio = Buffer.alloc(160, 0xff).toString('base64');
    const framesReceived = (count: number) =>
      waitUntil(() => engine.audio.length >= count, `${count} caller frames at the engine`);
    try {
      turnLatencies.length = 0;

      // A spoken turn (μ-law 0x00 is full scale), answered.
      await stream.sendAudio(Buffer.alloc(160, 0x00), { paced: false });
      await framesReceived(1);
      listener.callerTurnEnded();
      listener.transcript('caller', 'Hello there.');
      listener.audio(agentAudio);
      await new Promise((resolve) => setTimeout(resolve, 300));

      // A turn too quiet to count as speech (μ-law 0xff is silence), answered 20 ms after it ends.
      await stream.sendAudio(Buffer.alloc(160, 0xff), { paced: false });
      await framesReceived(2);
      const quietTurnEnded = Date.now();
      listener.callerTurnEnded();
      listener.transcript('caller', 'Yes.');
      await new Promise((resolve) => setTimeout(resolve, 20));
      listener.audio(agentAudio);
      const answered = Date.now();

      expect(turnLatencies).toHaveLength(2);
      expect(turnLatencies[1]).toBeGreaterThanOrEqual(15);
      // Within the quiet turn's own end and its answer, however slow the machine: counted from the
      // first turn's speech it would be at least the 300 ms pause longer.
      expect(turnLatencies[1]).toBeLessThanOrEqual(answered - quietTurnEnded);
    } finally {
      await stream.hangUp();
    }
  });

  it('tells the agent to wrap up a minute before MAX_CALL_SECONDS, then hangs up after its goodbye', async () => {
    maxCallSeconds = 1; // the notice is due in the last third, the end after 1 s
    try {
      const { callSid, stream, engine } = await startCall();
      await stream.closed;
      expect(engine.notes).toEqual([expect.stringMatching(/time limit.*say goodbye.*end_call/)]);
      expect(hangUps).toContain(callSid);
      expect(await endedWith(callSid)).toBe('max-call-duration');
    } finally {
      maxCallSeconds = 900;
    }
  });

  it('tries the hang-up again after a pause when Twilio fails, then ends the call', async () => {
    maxCallSeconds = 1;
    hangUpFailures = 2;
    hangUpAttempts.length = 0;
    try {
      const { callSid, stream } = await startCall();
      await stream.closed;
      expect(hangUps).toContain(callSid);
      expect(hangUpAttempts).toHaveLength(3);
      const [first = 0, second = 0, third = 0] = hangUpAttempts;
      expect(second - first).toBeGreaterThanOrEqual(240);
      expect(third - second).toBeGreaterThanOrEqual(490);
      expect(await endedWith(callSid)).toBe('max-call-duration');
    } finally {
      maxCallSeconds = 900;
      hangUpFailures = 0;
    }
  });

  it('refuses a frame over 64 KiB at the socket', async () => {
    const { stream } = await startCall();
    stream.sendRaw(JSON.stringify({ event: 'media', padding: 'x'.repeat(70 * 1024) }));
    expect((await stream.closed).code).toBe(1009);
  });

  it('leaves no live call behind once both sides have closed, and /health stays ok', async () => {
    const calls = await Promise.all([startCall(), startCall(), startCall()]);
    await Promise.all(calls.map(({ stream }) => stream.hangUp()));
    await waitUntil(() => t.bridge.activeCalls() === 0, 'no live call left');
    expect(t.bridge.activeCalls()).toBe(0);
    const health = await fetch(t.address.replace('ws://', 'http://').replace('/media-stream', '/health'));
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('drains: refuses new streams (503) and resolves once live calls have ended', async () => {
    const { stream } = await startCall();
    const drained = t.bridge.drain();
    await expect(
      openStream({
        streamUrl: STREAM_URL,
        connectTo: t.address,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid: 'CA1',
        parameters: {},
      }),
    ).rejects.toMatchObject({ status: 503 });
    let settled = false;
    void drained.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    await stream.hangUp();
    await drained;
  });
});
