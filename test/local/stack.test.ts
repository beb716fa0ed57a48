import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import WebSocket, { WebSocketServer } from 'ws';
import { hashStreamToken } from '../../services/core/call/stream-token.js';
import { ConfigError } from '../../services/core/shared/config.js';
import { type LocalStack, startLocalStack } from '../../services/local/stack.js';
import { startTestDynamo } from '../support/dynamo.js';
import { callSid, inboundForm, readStreamTwiml, signForm, testEnv } from '../support/twilio.js';

// PUBLIC_URL is what Twilio signs (a tunnel in real use); the stack answers on its own local URL.
const PUBLIC_URL = 'https://voice-dev.example.com';

function postForm(stack: LocalStack, path: string, form: Record<string, string>, signature?: string) {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature ? { 'x-twilio-signature': signature } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe('startLocalStack', () => {
  let stack: LocalStack;
  const claimed: string[] = [];
  let closedBridge = false;

  beforeAll(async () => {
    const wss = new WebSocketServer({ noServer: true });
    stack = await startLocalStack(testEnv({ PORT: '0', PUBLIC_URL, VOICE_PROVIDER: 'openai' }), {
      // A minimal bridge: claims the stream with the token it is given, as the real one does.
      buildBridge: ({ sessions }) => ({
        handleUpgrade(req, socket, head) {
          wss.handleUpgrade(req, socket, head, (ws) => {
            ws.on('message', async (data) => {
              const { callSid: sid, token } = JSON.parse(String(data)) as { callSid: string; token: string };
              const session = await sessions.claimStream(sid, hashStreamToken(token), 'MZ1', Date.now());
              if (session) claimed.push(sid);
              ws.send(session ? 'claimed' : 'refused');
            });
          });
        },
        activeCalls: () => wss.clients.size,
        close: async () => {
          closedBridge = true;
          wss.close();
        },
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  test('listens on a free port and reports health', async () => {
    expect(stack.port).toBeGreaterThan(0);
    const response = await fetch(`${stack.url}/health`);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('a signed POST /twilio/inbound gets stream TwiML; the token claims the stream once over the bridge', async () => {
    const sid = callSid(1);
    const form = inboundForm(sid);
    const response = await postForm(
      stack,
      '/twilio/inbound',
      form,
      signForm(`${PUBLIC_URL}/twilio/inbound`, form),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);

    const twiml = readStreamTwiml(await response.text());
    expect(twiml.streamUrl).toBe('wss://voice-dev.example.com/media-stream');
    expect(twiml.parameters.callSid).toBe(sid);
    const session = (await stack.sessions.get(sid))?.session;
    expect(session?.provider).toBe('openai');
    expect(session?.streamTokenHash).toBe(hashStreamToken(twiml.parameters.token ?? ''));

    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/media-stream`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const answers: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      ws.send(JSON.stringify({ callSid: sid, token: twiml.parameters.token }));
      answers.push(await new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d)))));
    }
    ws.close();
    expect(answers).toEqual(['claimed', 'refused']);
    expect(claimed).toEqual([sid]);
  });

  test('an unsigned POST /twilio/inbound is 403 and writes nothing', async () => {
    const sid = callSid(2);
    const response = await postForm(stack, '/twilio/inbound', inboundForm(sid));
    expect(response.status).toBe(403);
    expect(await stack.sessions.get(sid)).toBeUndefined();
  });

  test('unknown paths are 404, wrong methods 405', async () => {
    expect((await fetch(`${stack.url}/twilio/nothing`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${stack.url}/twilio/inbound`)).status).toBe(405);
  });

  test('an upgrade other than /media-stream is refused', async () => {
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/twilio/inbound`);
    const outcome = await new Promise<number | string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', (error) => resolve(error.message));
      ws.once('open', () => resolve('opened'));
    });
    expect(outcome).toBe(404);
  });

  test('close stops the bridge and the server', async () => {
    let bridgeCloses = 0;
    const other = await startLocalStack(testEnv({ PORT: '0' }), {
      buildBridge: () => ({
        handleUpgrade: (_req, socket) => socket.destroy(),
        activeCalls: () => 0,
        close: async () => {
          bridgeCloses += 1;
        },
      }),
    });
    const url = other.url;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await other.close();
    await other.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(bridgeCloses).toBe(1);
    expect(closedBridge).toBe(false);
  });
});

describe('startLocalStack configuration', () => {
  test('uses DYNAMODB_ENDPOINT instead of the embedded DynamoDB, creating the table there', async () => {
    const dynamo = await startTestDynamo();
    const stack = await startLocalStack(
      testEnv({ PORT: '0', DYNAMODB_ENDPOINT: dynamo.endpoint, CALL_TABLE_NAME: 'calls-external' }),
    );
    try {
      expect(stack.dynamodbEndpoint).toBe(dynamo.endpoint);
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'calls-external' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    } finally {
      await stack.close();
      await dynamo.close();
    }
  });

  test('a missing required value throws a ConfigError naming it', async () => {
    const env: Record<string, string | undefined> = testEnv({ PORT: '0' });
    delete env.TWILIO_AUTH_TOKEN;
    await expect(startLocalStack(env)).rejects.toThrow(ConfigError);
    await expect(startLocalStack(env)).rejects.toThrow(/TWILIO_AUTH_TOKEN is required/);
  });
});
