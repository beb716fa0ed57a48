import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store';
import { createBridgeHttpServer } from '../../services/bridge/http-server';
import { type Bridge, createBridge } from '../../services/bridge/server';
import { hashStreamToken, newStreamToken } from '../../services/core/call/stream-token';
import type { EngineListener, EngineSession, VoiceEngine } from '../../services/core/ports/engine';
import type { CallControl } from '../../services/core/ports/telephony';
import { openStream } from '../../services/local/sim/twilio-caller';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';

const STREAM_URL = 'wss://bridge.bolt-voice.test/media-stream';

/** An engine double that lets a test act as the engine's socket, and observe what the bridge does. */
function controllableEngine() {
  const state = {
    listener: undefined as EngineListener | undefined,
    received: [] as string[],
    buffered: 0,
    closed: 0,
    instructions: [] as string[],
  };
  const engine: VoiceEngine = {
    name: 'elevenlabs',
    capabilities: {
      turnDetection: 'engine',
      bargeIn: 'engine',
      truncateOnBargeIn: false,
      toolProtocol: 'client-tool',
    },
    async start(_context, listener) {
      state.listener = listener;
      const session: EngineSession = {
        sendCallerAudio: (payload) => state.received.push(payload) > 0,
        sendToolResult: () => {},
        truncate: () => {},
        cancelResponse: () => {},
        respond: () => {},
        instruct: (text) => state.instructions.push(text),
        sendKeypress: () => {},
        bufferedAmount: () => state.buffered,
        close: () => {
          state.closed++;
        },
      };
      return session;
    },
  };
  return { engine, state };
}

describe('a live call on the bridge', () => {
  let dynamo: TestDynamo;
  let sessions: DynamoCallSessionStore;
  let bridge: Bridge;
  let server: Server;
  let address: string;
  const control = controllableEngine();
  const hangUps: string[] = [];
  const hangUpAttempts: number[] = [];
  let hangUpFailures = 0;
  const turnLatencies: number[] = [];
  let maxCallSeconds = 900;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
    bridge = createBridge({
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      streamUrl: STREAM_URL,
      business: { name: 'Bolt', timezone: 'America/New_York' },
      engineConnectTimeoutMs: 1000,
      bargeInMinMs: 600,
      get maxCallSeconds() {
        return maxCallSeconds;
      },
      sessions,
      engines: { elevenlabs: control.engine },
      tools: { definitions: () => [], run: async () => ({ ok: true, text: '' }) },
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
      now: Date.now,
      onTurnLatency: (ms) => turnLatencies.push(ms),
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

  let n = 0;
  async function startCall() {
    const callSid = `CA${(++n).toString(16).padStart(32, 'b')}`;
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
    const stream = await openStream({
      streamUrl: STREAM_URL,
      connectTo: address,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: { token, callSid },
    });
    const deadline = Date.now() + 3000;
    while (!control.state.listener && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!control.state.listener) throw new Error('the bridge did not start the engine within 3 s');
    return { callSid, stream };
  }

  async function endedWith(callSid: string): Promise<string | undefined> {
    for (let i = 0; i < 100; i++) {
      const record = await sessions.get(callSid);
      if (record?.session.status === 'ended') return record.session.endReason;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  afterEach(() => {
    control.state.listener = undefined;
    control.state.buffered = 0;
  });

  it('fails over an engine whose socket cannot keep up (here none is left: the outage apology)', async () => {
    const { callSid, stream } = await startCall();
    control.state.buffered = 2 * 1024 * 1024;
    await stream.sendAudio(Buffer.alloc(320, 0x22), { paced: false });
    await stream.closed;
    expect(await endedWith(callSid)).toMatch(
      /^engine-outage: no engine left: elevenlabs: engine-stalled \(backpressure\): \d+ bytes unsent/,
    );
    expect(control.state.closed).toBeGreaterThan(0);
  });

  it('measures a quiet turn from its end, not from the speech of a turn the agent already answered', async () => {
    const { stream } = await startCall();
    const listener = control.state.listener!;
    const agentAudio = Buffer.alloc(160, 0xff).toString('base64');
    const framesReceived = async (count: number) => {
      for (let i = 0; i < 200 && control.state.received.length < count; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
    };
    try {
      control.state.received.length = 0;
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
      listener.callerTurnEnded();
      listener.transcript('caller', 'Yes.');
      await new Promise((resolve) => setTimeout(resolve, 20));
      listener.audio(agentAudio);

      expect(turnLatencies).toHaveLength(2);
      expect(turnLatencies[1]).toBeGreaterThanOrEqual(15);
      expect(turnLatencies[1]).toBeLessThan(250); // it was ≥ 320 ms, counted from the first turn's speech
    } finally {
      await stream.hangUp();
    }
  });

  it('tells the agent to wrap up a minute before MAX_CALL_SECONDS, then hangs up after its goodbye', async () => {
    maxCallSeconds = 1; // the notice is due in the last third, the end after 1 s
    try {
      const { callSid, stream } = await startCall();
      await stream.closed;
      expect(control.state.instructions).toEqual([
        expect.stringMatching(/time limit.*say goodbye.*end_call/),
      ]);
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
    for (let i = 0; i < 50 && bridge.activeCalls() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bridge.activeCalls()).toBe(0);
    const health = await fetch(address.replace('ws://', 'http://').replace('/media-stream', '/health'));
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('drains: refuses new streams (503) and resolves once live calls have ended', async () => {
    const { stream } = await startCall();
    const drained = bridge.drain();
    await expect(
      openStream({
        streamUrl: STREAM_URL,
        connectTo: address,
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
