/**
 * The two simulators talk through a minimal pass-through relay written here (the shape of the
 * bridge, none of its rules): a scripted call runs from the Twilio webhook to the agent's answer
 * with no protocol violation on either side. This is how `npm run demo` and the end-to-end tests
 * use them, with the real bridge in the middle.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import WebSocket, { WebSocketServer } from 'ws';
import { loadClip, silence } from '../../../services/local/sim/audio.js';
import { type ElevenLabsSim, startElevenLabsSim } from '../../../services/local/sim/elevenlabs-server.js';
import type { ConversationScript } from '../../../services/local/sim/script.js';
import { openStream, placeCall } from '../../../services/local/sim/twilio-caller.js';
import { receivedTwilioForm } from '../../support/twilio.js';

const AUTH_TOKEN = 'relay-auth-token';
const ACCOUNT_SID = `AC${'3'.repeat(32)}`;
const PUBLIC_URL = 'https://relay.example.com';
const STREAM_URL = 'wss://relay.example.com/media-stream';

type Message = Record<string, unknown>;

/** Twilio ⇄ ElevenLabs, forwarding payloads untouched; answers every tool with a canned sentence. */
async function startRelay(
  elevenLabs: ElevenLabsSim,
): Promise<{ baseUrl: string; wsUrl: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const { params, signatureValid } = await receivedTwilioForm(req, PUBLIC_URL, AUTH_TOKEN);
    if (!signatureValid) {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<Response><Connect><Stream url="${STREAM_URL}"><Parameter name="caller" value="${params.From}"/></Stream></Connect></Response>`,
    );
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!validateRequest(AUTH_TOKEN, String(req.headers['x-twilio-signature'] ?? ''), STREAM_URL, {})) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (twilio) => {
      let streamSid = '';
      let engine: WebSocket | undefined;
      let engineReady = false;
      const pending: string[] = [];
      let marks = 0;
      twilio.on('message', async (data) => {
        const message = JSON.parse(String(data)) as Message;
        if (message.event === 'start') {
          const start = message.start as { streamSid: string; callSid: string; customParameters: Message };
          streamSid = start.streamSid;
          const response = await fetch(
            `${elevenLabs.apiUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_relay`,
            { headers: { 'xi-api-key': 'relay-key' } },
          );
          const { signed_url } = (await response.json()) as { signed_url: string };
          engine = new WebSocket(signed_url);
          engine.on('message', (raw) => {
            const event = JSON.parse(String(raw)) as Message;
            const send = (m: Message) => twilio.send(JSON.stringify(m));
            if (event.type === 'conversation_initiation_metadata') {
              engineReady = true;
              for (const chunk of pending.splice(0))
                engine?.send(JSON.stringify({ user_audio_chunk: chunk }));
            } else if (event.type === 'audio') {
              const audio = event.audio_event as { audio_base_64: string };
              send({ event: 'media', streamSid, media: { payload: audio.audio_base_64 } });
              marks += 1;
              send({ event: 'mark', streamSid, mark: { name: `agent-${marks}` } });
            } else if (event.type === 'interruption') {
              send({ event: 'clear', streamSid });
            } else if (event.type === 'ping') {
              const ping = event.ping_event as { event_id: number };
              engine?.send(JSON.stringify({ type: 'pong', event_id: ping.event_id }));
            } else if (event.type === 'client_tool_call') {
              const call = event.client_tool_call as { tool_call_id: string; tool_name: string };
              const result = {
                type: 'client_tool_result',
                tool_call_id: call.tool_call_id,
                result: `${call.tool_name} ok`,
                is_error: false,
              };
              engine?.send(JSON.stringify(result));
            }
          });
          engine.on('open', () =>
            engine?.send(
              JSON.stringify({
                type: 'conversation_initiation_client_data',
                dynamic_variables: { call_sid: start.callSid, caller_number: start.customParameters.caller },
              }),
            ),
          );
          engine.on('close', () => twilio.close(1000));
        } else if (message.event === 'media') {
          const payload = (message.media as { payload: string }).payload;
          if (engineReady) engine?.send(JSON.stringify({ user_audio_chunk: payload }));
          else pending.push(payload);
        } else if (message.event === 'stop') {
          engine?.close(1000);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/media-stream`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const script: ConversationScript = {
  greeting: { text: 'Thanks for calling Bolt. How can I help you today?', audioClip: 'agent-greeting' },
  turns: [
    {
      callerSays: 'Could I book a demo for tomorrow at three PM?',
      tools: [{ name: 'book_appointment', params: { start: '2026-11-26T15:00', name: 'Jane' } }],
      agentSays: { text: 'You are booked for tomorrow at three PM.', audioClip: 'agent-confirm' },
    },
  ],
};

it('a scripted call runs end to end through a relay with no violation on either side', async () => {
  const elevenLabs = await startElevenLabsSim({
    apiKey: 'relay-key',
    agentId: 'agent_relay',
    script,
    pingIntervalMs: 50,
  });
  const relay = await startRelay(elevenLabs);
  try {
    const call = await placeCall({
      baseUrl: relay.baseUrl,
      publicUrl: PUBLIC_URL,
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      from: '+15551230001',
      to: '+15559870002',
    });
    if (!call.twiml) throw new Error(`no TwiML: ${call.status} ${call.body}`);
    const stream = await openStream({
      streamUrl: call.twiml.streamUrl,
      connectTo: relay.wsUrl,
      authToken: AUTH_TOKEN,
      accountSid: ACCOUNT_SID,
      callSid: call.callSid,
      parameters: call.twiml.parameters,
    });
    const greeting = loadClip('agent-greeting');
    await stream.waitForAudio(greeting.length, 5000);

    await stream.sendAudio(Buffer.concat([loadClip('caller-booking'), silence(1600)]), { paced: false });
    const conversation = await elevenLabs.nextConversation(1000);
    await conversation.scriptDone;
    const confirm = loadClip('agent-confirm');
    await stream.waitForAudio(greeting.length + confirm.length, 5000);
    await stream.waitForMarkEcho('agent-1', 3000); // 200 ms of greeting played

    expect(stream.receivedAudio()).toEqual(Buffer.concat([greeting, confirm]));
    expect(conversation.dynamicVariables).toEqual({ call_sid: call.callSid, caller_number: '+15551230001' });
    expect(conversation.toolResults.map((r) => r.result)).toEqual(['book_appointment ok']);
    expect(conversation.transcript.map((t) => t.role)).toEqual(['agent', 'user', 'agent']);
    expect(conversation.pongs.length).toBeGreaterThan(0);

    await stream.hangUp();
    expect((await conversation.closed).code).toBe(1000);
    expect(stream.violations).toEqual([]);
    expect(elevenLabs.violations).toEqual([]);
  } finally {
    await relay.close();
    await elevenLabs.close();
  }
});
