import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getJson, MAX_ANSWER_CHARS } from '../../../services/adapters/http/get-json';

describe('getJson: one GET of a JSON document', () => {
  let server: Server;
  let base: string;
  const seen: Array<string | undefined> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers['xi-api-key'] as string | undefined);
      if (req.url === '/json')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"signed_url":"wss://x"}');
      else if (req.url === '/text') res.writeHead(503).end('unavailable');
      else if (req.url === '/huge') res.writeHead(200).end(`"${'x'.repeat(MAX_ANSWER_CHARS)}"`);
      // '/never' is left unanswered: only the caller's signal ends it.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers the status and the parsed body, sending the headers given', async () => {
    const answer = await getJson(`${base}/json`, { 'xi-api-key': 'key' }, new AbortController().signal);
    expect(answer).toEqual({ status: 200, body: { signed_url: 'wss://x' } });
    expect(seen.at(-1)).toBe('key');
  });

  it('answers a body that is not JSON as undefined, with its status', async () => {
    expect(await getJson(`${base}/text`, {}, new AbortController().signal)).toEqual({
      status: 503,
      body: undefined,
    });
  });

  it('rejects an answer longer than any JSON it is meant to read', async () => {
    await expect(getJson(`${base}/huge`, {}, new AbortController().signal)).rejects.toThrow(
      /passed 65536 characters/,
    );
  });

  it('rejects when the signal aborts, and when nothing listens', async () => {
    const controller = new AbortController();
    const pending = getJson(`${base}/never`, {}, controller.signal);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect(getJson('http://127.0.0.1:9/', {}, new AbortController().signal)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
