import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * The floor the bridge is measured against: a bare `ws` relay between Twilio Media Streams and the
 * ElevenLabs protocol, as small as such a relay can be and still work. It answers the inbound webhook
 * with fixed TwiML (no signature check, no session), and per stream: `JSON.parse` of every message,
 * on `start` the signed-URL request and the engine socket (caller audio held until it opens), each
 * caller payload spliced into `user_audio_chunk`, each agent `audio` spliced into a Twilio `media`,
 * pings answered. No validation, no limits, no logging, no session writes.
 */
export function startRelay(engineApiUrl: string): Server {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const callSid = new URLSearchParams(body).get('CallSid') ?? '';
      const host = req.headers.host ?? '127.0.0.1';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://${host}/media-stream"><Parameter name="callSid" value="${callSid}"/></Stream></Connect></Response>`,
      );
    });
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (twilio) => relayCall(twilio, engineApiUrl));
  });
  return server;
}

function relayCall(twilio: WebSocket, engineApiUrl: string): void {
  let engine: WebSocket | undefined;
  let streamSid = '';
  const held: string[] = [];
  twilio.on('error', () => {});
  twilio.on('close', () => engine?.close());
  twilio.on('message', (data) => {
    const message = JSON.parse(data.toString());
    switch (message.event) {
      case 'media': {
        const chunk = `{"user_audio_chunk":"${message.media.payload}"}`;
        if (engine?.readyState === WebSocket.OPEN) engine.send(chunk);
        else held.push(chunk);
        return;
      }
      case 'start':
        streamSid = message.start.streamSid;
        void connect(message.start.callSid);
        return;
      case 'stop':
        twilio.close();
        return;
    }
  });

  async function connect(callSid: string): Promise<void> {
    const response = await fetch(`${engineApiUrl}/v1/convai/conversation/get-signed-url?agent_id=bench`);
    const { signed_url: signedUrl } = (await response.json()) as { signed_url: string };
    const socket = new WebSocket(signedUrl, { perMessageDeflate: false });
    engine = socket;
    socket.on('error', () => twilio.close());
    socket.on('open', () => {
      socket.send(
        JSON.stringify({
          type: 'conversation_initiation_client_data',
          dynamic_variables: { call_sid: callSid },
        }),
      );
      for (const chunk of held.splice(0)) socket.send(chunk);
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'audio') {
        twilio.send(
          `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${message.audio_event.audio_base_64}"}}`,
        );
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong', event_id: message.ping_event.event_id }));
      }
    });
  }
}
