/**
 * Issue 11 item 3: a socket that never sends `start` is closed; a token works only within
 * STREAM_TOKEN_TTL_MS of the webhook that issued it; a replayed inbound webhook for a call that is
 * already streaming or ended mints nothing usable.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store';
import { createBridgeHttpServer } from '../../services/bridge/http-server';
import { type Bridge, createBridge } from '../../services/bridge/server';
import { hashStreamToken, newStreamToken, STREAM_TOKEN_TTL_MS } from '../../services/core/stream-token';
import type { EngineSession, VoiceEngine } from '../../services/core/voice-engine';
import { openStream, placeCall } from '../../services/local/sim/twilio-caller';
import { startHarness } from '../e2e/harness';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';

const STREAM_URL = 'wss://bridge.bolt-voice.test/media-stream';

describe('streams and tokens on the bridge', () => {
  let dynamo: TestDynamo;
  let sessions: DynamoCallSessionStore;
  let bridge: Bridge;
  let server: Server;
  let address: string;
  let clock = Date.now();
  let engineStarts = 0;

  const engine: VoiceEngine = {
    name: 'elevenlabs',
    capabilities: { turnDetection: 'engine', truncateOnBargeIn: false, toolProtocol: 'client-tool' },
    async start() {
      engineStarts++;
      const session: EngineSession = {
        sendCallerAudio: () => {},
        sendToolResult: () => {},
        truncate: () => {},
        sendKeypress: () => {},
        bufferedAmount: () => 0,
        close: () => {},
      };
      return session;
    },
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
    bridge = createBridge({
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      streamUrl: STREAM_URL,
      business: { name: 'Bolt', timezone: 'America/New_York' },
      engineConnectTimeoutMs: 1000,
      sessions,
      engines: { elevenlabs: engine },
      tools: { definitions: () => [], run: async () => ({ ok: true, text: '' }) },
      now: () => clock,
      streamStartTimeoutMs: 300,
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
  async function session(issuedAt: number) {
    const callSid = `CA${(++n).toString(16).padStart(32, 'c')}`;
    const token = newStreamToken();
    await sessions.open({
      callSid,
      direction: 'inbound',
      from: '+15551230001',
      to: '+15550001111',
      provider: 'elevenlabs',
      streamTokenHash: hashStreamToken(token),
      createdAt: issuedAt,
    });
    return { callSid, token };
  }

  it('closes a socket that sends no start within the start timeout, and it stops counting as a call', async () => {
    const stream = await openStream({
      streamUrl: STREAM_URL,
      connectTo: address,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid: 'CA'.padEnd(34, 'd'),
      sendStart: false,
    });
    expect(bridge.activeCalls()).toBe(1);
    await stream.closed;
    for (let i = 0; i < 50 && bridge.activeCalls() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(bridge.activeCalls()).toBe(0);
  });

  it('accepts a token just inside its lifetime', async () => {
    clock = Date.now();
    const { callSid, token } = await session(clock - STREAM_TOKEN_TTL_MS + 1000);
    const before = engineStarts;
    const stream = await openStream({
      streamUrl: STREAM_URL,
      connectTo: address,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: { token, callSid },
    });
    for (let i = 0; i < 100 && engineStarts === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(engineStarts).toBe(before + 1);
    expect((await sessions.get(callSid))?.session.status).toBe('streaming');
    await stream.hangUp();
  });

  it('refuses a token issued more than five minutes before the stream, and opens no engine', async () => {
    clock = Date.now();
    const { callSid, token } = await session(clock - STREAM_TOKEN_TTL_MS - 1000);
    const before = engineStarts;
    const stream = await openStream({
      streamUrl: STREAM_URL,
      connectTo: address,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: { token, callSid },
    });
    expect((await stream.closed).code).toBe(1008);
    expect(engineStarts).toBe(before);
    expect((await sessions.get(callSid))?.session.status).toBe('created');
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
