import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import WebSocket, { WebSocketServer } from 'ws';
import { createLocalServer, type LocalBridge } from '../../services/local/server.js';

let server: Server;
let base: string;
const seen: APIGatewayProxyEventV2[] = [];
let upgrades = 0;

const wss = new WebSocketServer({ noServer: true });
const bridge: LocalBridge = {
  handleUpgrade(req, socket, head) {
    upgrades += 1;
    wss.handleUpgrade(req, socket, head, (ws) => ws.send('hello from the bridge'));
  },
  activeCalls: () => 3,
};

beforeAll(async () => {
  server = createLocalServer({
    routes: {
      'POST /echo': async (event) => {
        seen.push(event);
        return {
          statusCode: 201,
          headers: { 'content-type': 'text/plain', 'x-seen-path': event.rawPath },
          body: Buffer.from(event.body ?? '', 'base64')
            .toString('utf8')
            .toUpperCase(),
        };
      },
      'GET /echo': async () => ({ statusCode: 200, body: 'got' }),
      'POST /boom': async () => {
        throw new Error('handler failed');
      },
    },
    bridge,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  wss.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createLocalServer', () => {
  test('dispatches to the route with an API Gateway v2 event and writes its result', async () => {
    const response = await fetch(`${base}/echo?x=1&x=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'sig' },
      body: 'a=b&c=d',
    });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('A=B&C=D');
    expect(response.headers.get('x-seen-path')).toBe('/echo');

    const event = seen.at(-1);
    expect(event?.version).toBe('2.0');
    expect(event?.routeKey).toBe('POST /echo');
    expect(event?.rawPath).toBe('/echo');
    expect(event?.rawQueryString).toBe('x=1&x=2');
    expect(event?.queryStringParameters).toEqual({ x: '1,2' });
    expect(event?.isBase64Encoded).toBe(true);
    expect(event?.headers['x-twilio-signature']).toBe('sig');
    expect(event?.requestContext.http.method).toBe('POST');
    expect(event?.requestContext.http.path).toBe('/echo');
    expect(event?.requestContext.http.sourceIp).toBe('127.0.0.1');
  });

  test('GET /health reports ok, without the number of live calls', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('an unknown path is 404, a wrong method 405 with Allow', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const wrong = await fetch(`${base}/echo`, { method: 'PUT', body: 'x' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405);
  });

  test('a handler that throws is a 500', async () => {
    expect((await fetch(`${base}/boom`, { method: 'POST' })).status).toBe(500);
  });

  test('a body over 1 MiB is refused with 413, announced or streamed', async () => {
    // Announced: the answer comes before the body is sent.
    const announced = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${base}/echo`, { method: 'POST', headers: { 'content-length': 2_000_000 } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(announced).toBe(413);

    // Streamed in chunks without a length: refused once it passes the limit.
    const streamed = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${base}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024 * 1024 + 10, 97));
    });
    expect(streamed).toBe(413);
    expect(seen.every((event) => (event.body?.length ?? 0) < 1024 * 1024)).toBe(true);
  });

  test('a WebSocket upgrade on /media-stream goes to the bridge', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/media-stream`);
    const message = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    ws.close();
    expect(message).toBe('hello from the bridge');
    expect(upgrades).toBe(1);
  });

  test('an upgrade anywhere else is refused and never reaches the bridge', async () => {
    const before = upgrades;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/echo`);
    const status = await new Promise<number | string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', (error) => resolve(error.message));
      ws.once('open', () => resolve('opened'));
    });
    expect(status).toBe(404);
    expect(upgrades).toBe(before);
  });
});

describe('createLocalServer without a bridge', () => {
  test('refuses /media-stream upgrades and reports 0 active calls', async () => {
    const bare = createLocalServer({ routes: {} });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const url = `127.0.0.1:${(bare.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`http://${url}/health`)).json()).toEqual({ status: 'ok' });
      const ws = new WebSocket(`ws://${url}/media-stream`);
      const status = await new Promise<number | string>((resolve) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', (error) => resolve(error.message));
        ws.once('open', () => resolve('opened'));
      });
      expect(status).toBe(404);
    } finally {
      bare.closeAllConnections();
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  test('rejects a malformed route key', () => {
    expect(() => createLocalServer({ routes: { '/no-method': async () => ({}) } })).toThrow(/POST \/path/);
  });
});
