/**
 * The local stack's one HTTP server: the webhook routes (the Lambda handlers, fed API Gateway v2
 * events), `GET /health`, and the bridge's WebSocket at `/media-stream`, all on one port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpHandler } from '../../functions/commons/http.js';
import { logger } from '../core/shared/logging.js';
import { BRIDGE_ROUTES } from '../core/shared/routes.js';
import { toApiGatewayEvent, writeApiGatewayResult } from './api-gateway-event.js';

export const MEDIA_STREAM_PATH = BRIDGE_ROUTES.mediaStream.path;
export const HEALTH_PATH = BRIDGE_ROUTES.health.path;
/** Webhook bodies are small forms; API Gateway's own limit is far higher, ours need not be. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the bridge offers the server: it takes over `/media-stream` upgrades and reports its load. */
export interface LocalBridge {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  activeCalls(): number;
}

/**
 * Local-only pages (the softphone and the calls page): plain HTTP handlers tried before the webhook
 * routes, and a look at each `/media-stream` upgrade before the bridge gets it.
 */
export interface LocalPages {
  /** Answers the request and returns true, or returns false to leave it to the routes. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<boolean>;
  /** May complete a softphone's upgrade (the headers Twilio would send); false refuses it (401). */
  prepareUpgrade(req: IncomingMessage): boolean;
  /** The routes the pages answer (`'GET /calls'` …): the manifest's local routes. */
  readonly routeKeys: readonly string[];
}

export interface LocalServerOptions {
  /** Keys like `'POST /twilio/inbound'`, the same route keys as in API Gateway. */
  routes: Record<string, HttpHandler>;
  bridge?: LocalBridge;
  pages?: LocalPages;
  maxBodyBytes?: number;
}

export function createLocalServer(options: LocalServerOptions): Server {
  const routes = routeTable(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      logger.error('Local server failed to answer a request', { error: error as Error, url: req.url });
      if (!res.headersSent) reply(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === HEALTH_PATH) {
      req.resume();
      if (method !== 'GET') return replyNotAllowed(res, ['GET']);
      // Liveness only: a tunnel exposes this port, and the call count is nobody else's business.
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === MEDIA_STREAM_PATH && options.bridge) {
      req.resume();
      return reply(res, 426, 'Upgrade Required', { upgrade: 'websocket' });
    }

    if (await options.pages?.handle(req, res, path, method)) return;

    const byMethod = routes.get(path);
    if (!byMethod) {
      req.resume();
      return reply(res, 404, 'Not Found');
    }
    const handler = byMethod.get(method);
    if (!handler) {
      req.resume();
      return replyNotAllowed(res, [...byMethod.keys()]);
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      // Stop here without reading the rest; the connection closes after this answer.
      return reply(res, 413, 'Payload Too Large', { connection: 'close' });
    }
    const result = await handler(toApiGatewayEvent(req, body, `${method} ${path}`));
    writeApiGatewayResult(res, result);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) === MEDIA_STREAM_PATH && options.bridge) {
      if (options.pages && !options.pages.prepareUpgrade(req)) {
        socket.on('error', () => {});
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      options.bridge.handleUpgrade(req, socket, head);
      return;
    }
    // Nothing else speaks WebSocket here.
    socket.on('error', () => {});
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  return server;
}

function routeTable(routes: Record<string, HttpHandler>): Map<string, Map<string, HttpHandler>> {
  const table = new Map<string, Map<string, HttpHandler>>();
  for (const [key, handler] of Object.entries(routes)) {
    const match = /^([A-Z]+) (\/\S*)$/.exec(key);
    if (!match) throw new Error(`Route key must look like 'POST /path': ${key}`);
    const [, method, path] = match as unknown as [string, string, string];
    const byMethod = table.get(path) ?? new Map<string, HttpHandler>();
    byMethod.set(method, handler);
    table.set(path, byMethod);
  }
  return table;
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://local').pathname;
}

/**
 * The body, or 'too-large' as soon as it passes the limit (announced or actual). Reading stops
 * there without destroying the request, so the 413 still reaches the client.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve('too-large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

function replyNotAllowed(res: ServerResponse, allowed: string[]): void {
  reply(res, 405, 'Method Not Allowed', { allow: allowed.join(', ') });
}
