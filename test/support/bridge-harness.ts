import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { createBridgeHttpServer } from '../../services/bridge/http-server.js';
import { type Bridge, type BridgeDeps, createBridge } from '../../services/bridge/server.js';
import { hashStreamToken, newStreamToken } from '../../services/core/call/stream-token.js';
import type { VoiceEngine } from '../../services/core/ports/engine.js';
import { openStream, randomSid, type TwilioCallStream } from '../../services/local/sim/twilio-caller.js';
import { startTestDynamo, type TestDynamo } from './dynamo.js';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './twilio.js';

export const STREAM_URL = 'wss://bridge.bolt-voice.test/media-stream';

export interface TestBridge {
  bridge: Bridge;
  sessions: DynamoCallSessionStore;
  /** `ws://127.0.0.1:<port>/media-stream`, where sockets really connect (STREAM_URL is signed). */
  address: string;
  /** A `created` inbound session and its token, issued at `issuedAt` (default now). */
  newSession(issuedAt?: number): Promise<{ callSid: string; token: string }>;
  /** Twilio's stream for that session: signed handshake, then `start` carrying the token. */
  openCall(callSid: string, token: string): Promise<TwilioCallStream>;
  close(): Promise<void>;
}

/** The bridge alone on 127.0.0.1 over dynalite, with the given engine: stream-level tests. */
export async function startTestBridge(
  engine: VoiceEngine,
  overrides: Partial<BridgeDeps> = {},
): Promise<TestBridge> {
  const dynamo: TestDynamo = await startTestDynamo();
  const sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
  const defaults: BridgeDeps = {
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
    streamUrl: STREAM_URL,
    business: { name: 'Bolt', timezone: 'America/New_York' },
    engineConnectTimeoutMs: 2000,
    bargeInMinMs: 600,
    maxCallSeconds: 900,
    sessions,
    engines: { elevenlabs: engine },
    tools: { definitions: () => [], run: async () => ({ ok: true, text: '' }) },
    now: Date.now,
  };
  // Descriptors, not a spread: a test may pass a getter (a limit it changes between tests).
  const bridge = createBridge(Object.defineProperties(defaults, Object.getOwnPropertyDescriptors(overrides)));
  const server: Server = createBridgeHttpServer(bridge);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/media-stream`;
  return {
    bridge,
    sessions,
    address,
    async newSession(issuedAt = Date.now()) {
      const callSid = randomSid('CA');
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
    },
    openCall(callSid, token) {
      return openStream({
        streamUrl: STREAM_URL,
        connectTo: address,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid,
        parameters: { token, callSid },
      });
    },
    async close() {
      await bridge.close();
      await new Promise((resolve) => server.close(resolve));
      await dynamo.close();
    },
  };
}
