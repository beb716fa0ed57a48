import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

/** The engine protocol a relay speaks: ElevenLabs Conversational AI, or OpenAI Realtime GA. */
export type RelayProtocol = 'elevenlabs' | 'openai';

/**
 * The floor the bridge is measured against: a bare `ws` relay between Twilio Media Streams and one
 * engine protocol, as small as such a relay can be and still work. It answers the inbound webhook
 * with fixed TwiML (no signature check, no session), and per stream: `JSON.parse` of every message,
 * on `start` the signed-URL request and the engine socket (caller audio held until it opens), each
 * caller payload spliced into `user_audio_chunk`, each agent `audio` spliced into a Twilio `media`,
 * pings answered. On the OpenAI protocol: the Realtime socket opened at `start` with a
 * `session.update` and the greeting's `response.create`, each caller payload spliced into
 * `input_audio_buffer.append`, each `response.output_audio.delta` into a Twilio `media`, and one mark
 * per response item (what an OpenAI relay needs to know where playback stands at a barge-in).
 * No validation, no limits, no logging, no session writes.
 */
export function startRelay(engineApiUrl: string, protocol: RelayProtocol = 'elevenlabs'): Server {
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
    wss.handleUpgrade(req, socket, head, (twilio) =>
      protocol === 'openai' ? relayRealtimeCall(twilio, engineApiUrl) : relayCall(twilio, engineApiUrl),
    );
  });
  return server;
}

/**
 * One call's Twilio side, the same on both protocols: each caller payload spliced into the engine's
 * message (`chunk`) and sent, or held until the engine socket opens; `start` and `stop` handled.
 */
function twilioSide(
  twilio: WebSocket,
  chunk: (payload: string) => string,
  connect: (callSid: string) => WebSocket | Promise<WebSocket>,
) {
  const side = { engine: undefined as WebSocket | undefined, streamSid: '', held: [] as string[] };
  twilio.on('error', () => {});
  twilio.on('close', () => side.engine?.close());
  twilio.on('message', (data) => {
    const message = JSON.parse(data.toString());
    switch (message.event) {
      case 'media': {
        const text = chunk(message.media.payload);
        if (side.engine?.readyState === WebSocket.OPEN) side.engine.send(text);
        else side.held.push(text);
        return;
      }
      case 'start':
        side.streamSid = message.start.streamSid;
        void Promise.resolve(connect(message.start.callSid)).then((socket) => {
          side.engine = socket;
          socket.on('error', () => twilio.close());
        });
        return;
      case 'stop':
        twilio.close();
        return;
    }
  });
  return side;
}

function relayCall(twilio: WebSocket, engineApiUrl: string): void {
  const side = twilioSide(twilio, (payload) => `{"user_audio_chunk":"${payload}"}`, connect);

  async function connect(callSid: string): Promise<WebSocket> {
    const response = await fetch(`${engineApiUrl}/v1/convai/conversation/get-signed-url?agent_id=bench`);
    const { signed_url: signedUrl } = (await response.json()) as { signed_url: string };
    const socket = new WebSocket(signedUrl, { perMessageDeflate: false });
    socket.on('open', () => {
      socket.send(
        JSON.stringify({
          type: 'conversation_initiation_client_data',
          dynamic_variables: { call_sid: callSid },
        }),
      );
      for (const chunk of side.held.splice(0)) socket.send(chunk);
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'audio') {
        twilio.send(
          `{"event":"media","streamSid":"${side.streamSid}","media":{"payload":"${message.audio_event.audio_base_64}"}}`,
        );
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong', event_id: message.ping_event.event_id }));
      }
    });
    return socket;
  }
}

function relayRealtimeCall(twilio: WebSocket, engineApiUrl: string): void {
  let item = '';
  const side = twilioSide(
    twilio,
    (payload) => `{"type":"input_audio_buffer.append","audio":"${payload}"}`,
    connect,
  );

  function connect(): WebSocket {
    const socket = new WebSocket(`${engineApiUrl.replace(/^http/, 'ws')}/v1/realtime?model=bench`, {
      perMessageDeflate: false,
    });
    socket.on('open', () => {
      const format = { type: 'audio/pcmu' };
      socket.send(
        JSON.stringify({
          type: 'session.update',
          session: { type: 'realtime', audio: { input: { format }, output: { format } } },
        }),
      );
      socket.send('{"type":"response.create"}');
      for (const chunk of side.held.splice(0)) socket.send(chunk);
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type !== 'response.output_audio.delta') return;
      const { streamSid } = side;
      twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${message.delta}"}}`);
      if (message.item_id !== item) {
        item = message.item_id;
        twilio.send(`{"event":"mark","streamSid":"${streamSid}","mark":{"name":"${item}"}}`);
      }
    });
    return socket;
  }
}
