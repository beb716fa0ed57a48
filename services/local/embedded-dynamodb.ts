import { Server as HttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for a DynamoDB client's `endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB in this process (dynalite, in memory) for the local stack and tests. Tables become
 * ACTIVE at once. It has no transactions and no TTL API, which the call store does not use.
 */
export async function startEmbeddedDynamo(): Promise<EmbeddedDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Only the listener. dynalite's own `close` also closes its store, and an action still in
        // flight (several store steps chained through setImmediate, or one whose client gave up)
        // then throws from a callback, which ends the process. The store is in memory: it goes
        // with the server object.
        HttpServer.prototype.close.call(server, (error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
