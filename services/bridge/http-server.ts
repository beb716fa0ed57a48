import { createServer, type Server } from 'node:http';
import type { Bridge } from './server.js';

/**
 * The bridge container's HTTP server: `GET /health` for the load balancer and the WebSocket upgrade
 * on `/media-stream`. (The local stack mounts the same bridge on its own server.)
 */
export function createBridgeHttpServer(bridge: Bridge): Server {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok', activeCalls: bridge.activeCalls() }));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Not found');
  });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/media-stream') bridge.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  return server;
}
