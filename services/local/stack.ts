/**
 * The embedded local stack: the webhook handlers on a local HTTP server, call sessions in an
 * in-process DynamoDB (or `DYNAMODB_ENDPOINT`), and the bridge at `/media-stream` when one is given.
 * `npm start` runs it through main.ts; end-to-end tests start it with `PORT=0`.
 */
import type { AddressInfo } from 'node:net';
import { ensureCallTable } from '../adapters/dynamodb/call-table.js';
import { createDynamoClients } from '../adapters/dynamodb/clients.js';
import { recentCallSessions } from '../adapters/dynamodb/recent-calls.js';
import { type CallTableStores, callTableStores } from '../adapters/dynamodb/stores.js';
import type { CallSession } from '../core/call/call-session.js';
import type { CallSessionStore } from '../core/ports/call-store.js';
import type { ProviderFlag } from '../core/ports/flags.js';
import { type Config, loadConfig } from '../core/shared/config.js';
import { BRIDGE_ROUTES, routeKey } from '../core/shared/routes.js';
import { providerFlagFor } from '../wiring/parts/provider-flag.js';
import { type EmbeddedDynamo, startEmbeddedDynamo } from './embedded-dynamodb.js';
import { byRouteKey, callArrivalRoutes, type LocalWebhookRoutes } from './routes.js';
import { createLocalServer, type LocalBridge, type LocalPages } from './server.js';

export type Env = Record<string, string | undefined>;

/** What the stack has built, for the routes, the pages and the bridge to use. */
export interface LocalStackContext {
  config: Config;
  sessions: CallSessionStore;
  /** Every store of the call table (sessions included), as the Lambdas have them. */
  stores: CallTableStores;
  providerFlag: ProviderFlag;
  /** The newest call sessions of the table (the local calls page; a scan, never used in AWS). */
  recentSessions(limit: number): Promise<CallSession[]>;
}

export interface LocalStackBridge extends LocalBridge {
  /** Stops taking streams and ends live calls; awaited before the server closes. */
  close?(): Promise<void>;
}

export interface LocalStackOptions {
  /** Serves `/media-stream`. Without it, WebSocket upgrades are refused. */
  buildBridge?: (context: LocalStackContext) => LocalStackBridge | Promise<LocalStackBridge>;
  /** Every webhook route of the manifest; absent, only a call's arrival is served (unknown callers). */
  routes?: (context: LocalStackContext) => LocalWebhookRoutes;
  /** Local-only pages (softphone, calls page) next to the routes. */
  pages?: (context: LocalStackContext) => LocalPages;
  /** Interface to listen on; default: all (so a tunnel or a container can reach it). */
  host?: string;
}

export interface LocalStack extends LocalStackContext {
  /** `http://127.0.0.1:<port>`: where this process answers (PUBLIC_URL is what Twilio signs). */
  url: string;
  port: number;
  /** The routes served (`'POST /twilio/inbound'`, `'GET /health'`, `'GET /calls'` …): the manifest's, checked by a test. */
  routeKeys: string[];
  /** The DynamoDB the sessions live in (embedded or DYNAMODB_ENDPOINT). */
  dynamodbEndpoint: string;
  /** The bridge at `/media-stream`, if one was built (drain and close it as SIGTERM would). */
  bridge?: LocalStackBridge;
  close(): Promise<void>;
}

/** Starts the stack; throws ConfigError (with every problem named) on a bad environment. */
export async function startLocalStack(env: Env, options: LocalStackOptions = {}): Promise<LocalStack> {
  const config = loadConfig(env, { defaultPort: 3000 });
  const embedded: EmbeddedDynamo | undefined = config.dynamodbEndpoint
    ? undefined
    : await startEmbeddedDynamo();
  const dynamodbEndpoint = config.dynamodbEndpoint ?? (embedded as EmbeddedDynamo).endpoint;
  const { client, doc } = createDynamoClients({ endpoint: dynamodbEndpoint });
  let bridge: LocalStackBridge | undefined;

  const shutdown = async () => {
    await bridge?.close?.();
    client.destroy();
    await embedded?.close();
  };

  try {
    await ensureCallTable(client, config.callTableName);
    const stores = callTableStores(doc, config.callTableName);
    const context: LocalStackContext = {
      config,
      sessions: stores.sessions,
      stores,
      providerFlag: providerFlagFor(config),
      recentSessions: (limit) => recentCallSessions(doc, config.callTableName, limit),
    };
    bridge = await options.buildBridge?.(context);
    const routes = byRouteKey(options.routes?.(context) ?? callArrivalRoutes(context));
    const pages = options.pages?.(context);
    const server = createLocalServer({ routes, bridge, pages });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;

    let closing: Promise<void> | undefined;
    return {
      ...context,
      url: `http://127.0.0.1:${port}`,
      port,
      routeKeys: [
        ...Object.keys(routes),
        ...(pages?.routeKeys ?? []),
        routeKey(BRIDGE_ROUTES.health),
        ...(bridge ? [routeKey(BRIDGE_ROUTES.mediaStream)] : []),
      ],
      dynamodbEndpoint,
      bridge,
      close: () => {
        closing ??= (async () => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          await bridge?.close?.();
          server.closeAllConnections();
          await closed;
          client.destroy();
          await embedded?.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
