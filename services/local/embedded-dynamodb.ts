import type { Server } from 'node:http';
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
  // Requests dynalite is still answering. Its store closes with the server, and an action that then
  // reaches the closed store throws from a callback (an uncaught exception that ends the process):
  // so `close` first lets the requests in flight finish.
  let inFlight = 0;
  server.on('request', (_request, response) => {
    inFlight++;
    response.once('close', () => inFlight--);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      const deadline = Date.now() + CLOSE_DRAIN_MS;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      // The SDK keeps connections alive; without this, close waits for them to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}

/** How long `close` waits for requests in flight before it closes the store anyway. */
const CLOSE_DRAIN_MS = 2000;
