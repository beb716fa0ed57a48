import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP stand-in on 127.0.0.1 that records each request and answers `status` with `body` (JSON). */
export async function startRecordingServer(
  status: number,
  body: unknown,
): Promise<{ baseUrl: string; requests: RecordedRequest[]; close(): void }> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let received = '';
    req.on('data', (chunk) => {
      received += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: received });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => server.close(),
  };
}
