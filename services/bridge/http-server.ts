import { createServer, type Server } from 'node:http';
import { BRIDGE_ROUTES } from '../core/shared/routes.js';
import type { Bridge } from './server.js';

/**
 * The bridge container's HTTP server: `GET /health` for the load balancer and the WebSocket upgrade
 * on `/media-stream`. (The local stack mounts the same bridge on its own server.)
 */
export function createBridgeHttpServer(bridge: Bridge): Server {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === BRIDGE_ROUTES.health.method && path === BRIDGE_ROUTES.health.path) {
      // Only liveness: the call count is in the ActiveCalls metric, not for whoever reaches the ALB.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Not found');
  });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === BRIDGE_ROUTES.mediaStream.path) bridge.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  return server;
}
