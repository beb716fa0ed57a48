/**
 * A fault injector at DynamoDB's HTTP boundary: the local stack's `DYNAMODB_ENDPOINT` points here,
 * and every request is forwarded to the embedded dynalite unless an active fault matches it (by
 * operation and body text). A fault answers as DynamoDB does when throttled (400
 * ProvisionedThroughputExceededException), failing (500 InternalServerError) or unreachable
 * (the connection is dropped). The SDK's own retries see exactly what they would in AWS.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

export type FaultKind = 'throttled' | 'internal-error' | 'unreachable';

export interface Fault {
  kind: FaultKind;
  /** `PutItem`, `UpdateItem`, `Query` …; any when absent. */
  operation?: string;
  /** Text the request body must contain (a key such as `TURN#` or `FINALISATION#PENDING`). */
  bodyContains?: string;
}

export interface DynamoFaultProxy {
  url: string;
  /** Starts a fault; returns a function that ends it. */
  inject(fault: Fault): () => void;
  /** Requests a fault answered, by fault. */
  failed: number;
  close(): Promise<void>;
}

export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const faults = new Set<Fault>();
  const state = { failed: 0 };
  const targetUrl = new URL(target);
  const server = createServer(async (req, res) => {
    const body = await text(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const fault = [...faults].find(
      (f) =>
        (!f.operation || f.operation === operation) && (!f.bodyContains || body.includes(f.bodyContains)),
    );
    if (fault) {
      state.failed += 1;
      if (fault.kind === 'unreachable') {
        req.socket.destroy();
        return;
      }
      const [status, type, message] =
        fault.kind === 'throttled'
          ? [
              400,
              'ProvisionedThroughputExceededException',
              'The level of configured provisioned throughput for the table was exceeded.',
            ]
          : [500, 'InternalServerError', 'Internal server error'];
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
      return;
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inject(fault) {
      faults.add(fault);
      return () => faults.delete(fault);
    },
    get failed() {
      return state.failed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
