import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A minimal ElevenLabs-protocol engine for the benchmark: it answers the signed-URL request, sends
 * its metadata, and echoes every caller audio chunk straight back as agent audio. The round trip
 * Twilio → bridge → engine → bridge → Twilio then measures the bridge's relay cost in both directions.
 */
export interface EchoEngine {
  apiUrl: string;
  close(): Promise<void>;
}

export async function startEchoEngine(options: { refuse?: boolean } = {}): Promise<EchoEngine> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let port = 0;
  const http = createServer((_req, res) => {
    if (options.refuse) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        signed_url: `ws://127.0.0.1:${port}/v1/convai/conversation?agent_id=echo&conversation_signature=x`,
      }),
    );
  });
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      let eventId = 0;
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"user_audio_chunk":"')) {
          const payload = text.slice(21, -2);
          ws.send(`{"type":"audio","audio_event":{"audio_base_64":"${payload}","event_id":${++eventId}}}`);
          return;
        }
        const message = JSON.parse(text) as { type?: string };
        if (message.type === 'conversation_initiation_client_data') {
          ws.send(
            JSON.stringify({
              type: 'conversation_initiation_metadata',
              conversation_initiation_metadata_event: {
                conversation_id: `conv_${Math.random().toString(36).slice(2)}`,
                agent_output_audio_format: 'ulaw_8000',
                user_input_audio_format: 'ulaw_8000',
              },
            }),
          );
        }
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
