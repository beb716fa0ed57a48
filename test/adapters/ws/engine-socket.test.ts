import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { type EngineSocketOptions, startEngineSocket } from '../../../services/adapters/ws/engine-socket.js';
import { EngineStartError } from '../../../services/core/ports/engine.js';
import { forCall } from '../../../services/core/shared/logging.js';
import { recorder } from '../../support/engine-recorder.js';
import { waitUntil } from '../../support/wait-until.js';

/** A server that says `ready` to every connection and keeps what it receives. */
let server: WebSocketServer;
let url: string;
const received: string[] = [];
const peers: WebSocket[] = [];

beforeEach(async () => {
  received.length = 0;
  peers.length = 0;
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', (peer) => {
    peers.push(peer);
    peer.on('message', (data) => received.push(data.toString()));
    peer.send('ready');
  });
});

afterEach(async () => {
  for (const peer of peers) peer.terminate();
  await new Promise((resolve) => server.close(resolve));
});

/** A test engine's socket: it names itself, and its liveness limits are generous (not judged here). */
const testEngine = {
  engine: 'openai',
  vendor: 'Test engine',
  messageWord: 'message',
  readyMessage: 'ready',
  keepalive: { pingIntervalMs: 1000, stallAfterMs: 60_000 },
} as const;

function options(overrides: Partial<EngineSocketOptions> = {}): EngineSocketOptions {
  const call = { signal: new AbortController().signal, log: forCall('CAengine-socket') };
  return { ...testEngine, ...call, url, listener: recorder().listener, ...overrides };
}

const noSession = {
  sendCallerAudio: () => false,
  sendToolResult: () => {},
  truncate: () => {},
  cancelResponse: () => {},
  respond: () => {},
  sendKeypress: () => {},
  instruct: () => {},
  bufferedAmount: () => 0,
  close: () => {},
};

async function startError(start: Promise<unknown>): Promise<EngineStartError> {
  const error = await start.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineStartError);
  return error as EngineStartError;
}

describe('engine socket', () => {
  it('rejects an address it cannot connect to as a start error, not a throw', async () => {
    const error = await startError(startEngineSocket(options({ url: 'not a url' }), () => () => {}));
    expect(error.reason).toMatch(/^cannot connect: /);
  });

  it('rejects an aborted start without connecting', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await startError(startEngineSocket(options({ signal: controller.signal }), () => () => {}));
    expect(error.reason).toBe('aborted before connecting');
    expect(peers).toEqual([]);
  });

  it('hands messages to the handshake until ready, then to the session, and closes with 1000', async () => {
    const handshake: string[] = [];
    const later: string[] = [];
    const session = await startEngineSocket(options(), (link) => (data) => {
      handshake.push(data.toString());
      link.ready({ ...noSession, close: () => link.close() }, (next) => later.push(next.toString()));
    });
    peers[0]!.send('hello');
    await waitUntil(() => later.length === 1, 'a message after ready');
    expect(handshake).toEqual(['ready']);
    expect(later).toEqual(['hello']);

    const closed = new Promise<number>((resolve) => peers[0]!.once('close', resolve));
    session.close();
    expect(await closed).toBe(1000);
  });

  it('clears its watchdogs with the session: a deadline armed before close never fires', async () => {
    const fired: number[] = [];
    /** A ready session with a deadline of `ms` (closed at once when `closeAtOnce`). */
    const withDeadline = (ms: number, closeAtOnce: boolean) =>
      startEngineSocket(options(), (link) => {
        const watchdog = link.watchdog(() => fired.push(ms));
        return () => {
          link.ready(noSession, () => {});
          watchdog.arm(ms);
          if (closeAtOnce) link.close();
        };
      });
    await withDeadline(20, true);
    // A later deadline that fires shows the cleared one had its chance and did not.
    await withDeadline(60, false);
    await waitUntil(() => fired.length > 0, 'the later deadline');
    expect(fired).toEqual([60]);
  });
});
