/**
 * The simulated ElevenLabs service against a minimal `ws` client written here (not the bridge's
 * adapter), so the simulator is checked against the protocol, not against our own code.
 */
import WebSocket from 'ws';
import { FRAME_BYTES, isSilentUlaw, loadClip, silence, toFrames } from '../../../services/local/sim/audio.js';
import {
  DEFAULT_END_OF_TURN_SILENCE_MS,
  type ElevenLabsSim,
  type ElevenLabsSimOptions,
  startElevenLabsSim,
} from '../../../services/local/sim/elevenlabs-server.js';
import type { ConversationScript } from '../../../services/local/sim/script.js';
import { Waiter } from '../../../services/local/sim/waiter.js';
import { waitUntil } from '../../support/wait-until.js';

const API_KEY = 'xi-test-key';
const AGENT_ID = 'agent_test_1';

type Message = Record<string, unknown>;

interface TestClient {
  ws: WebSocket;
  messages: Message[];
  ofType(type: string): Message[];
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  send(message: unknown): void;
  closed: Promise<number>;
}

let sim: ElevenLabsSim;
const clients: TestClient[] = [];

async function start(options: Partial<ElevenLabsSimOptions> = {}): Promise<ElevenLabsSim> {
  sim = await startElevenLabsSim({ apiKey: API_KEY, agentId: AGENT_ID, ...options });
  return sim;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  await sim?.close();
});

async function signedUrl(apiKey = API_KEY, agentId = AGENT_ID): Promise<{ status: number; body: Message }> {
  const response = await fetch(`${sim.apiUrl}/v1/convai/conversation/get-signed-url?agent_id=${agentId}`, {
    headers: { 'xi-api-key': apiKey },
  });
  return { status: response.status, body: (await response.json()) as Message };
}

/** Opens the socket; handlers are attached before `open` resolves, as a correct client must. */
function connect(url: string): Promise<TestClient> {
  const waiter = new Waiter();
  const messages: Message[] = [];
  const ws = new WebSocket(url);
  const client: TestClient = {
    ws,
    messages,
    ofType: (type) => messages.filter((m) => m.type === type),
    waitFor: (predicate, what, timeoutMs = 5000) => waiter.waitFor(predicate, timeoutMs, what),
    send: (message) => ws.send(JSON.stringify(message)),
    closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
  };
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message);
    waiter.notify();
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(client));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

async function openConversation(dynamicVariables: Message = { call_sid: 'CA1' }): Promise<TestClient> {
  const { body } = await signedUrl();
  const client = await connect(String(body.signed_url));
  client.send({ type: 'conversation_initiation_client_data', dynamic_variables: dynamicVariables });
  await client.waitFor(() => client.ofType('conversation_initiation_metadata').length === 1, 'metadata');
  return client;
}

function audioEvents(client: TestClient): Array<{ audio_base_64: string; event_id: number }> {
  return client.ofType('audio').map((m) => m.audio_event as { audio_base_64: string; event_id: number });
}

function sendUserAudio(client: TestClient, audio: Buffer): void {
  for (const frame of toFrames(audio, FRAME_BYTES)) client.send({ user_audio_chunk: frame });
}

describe('signed URL', () => {
  it('needs the API key, knows its agent and returns a one-time ws URL', async () => {
    await start();
    expect((await signedUrl('wrong-key')).status).toBe(401);
    expect((await signedUrl(API_KEY, 'agent_other')).status).toBe(404);
    const { status, body } = await signedUrl();

    expect(status).toBe(200);
    const url = new URL(String(body.signed_url));
    expect(url.protocol).toBe('ws:');
    expect(url.pathname).toBe('/v1/convai/conversation');
    expect(url.searchParams.get('agent_id')).toBe(AGENT_ID);
    expect(url.searchParams.get('conversation_signature')).toMatch(/^[\w-]{20,}$/);
    expect(sim.signedUrlRequests.map((r) => [r.status, r.apiKeyValid])).toEqual([
      [401, false],
      [404, true],
      [200, true],
    ]);

    await connect(url.toString());
    await expect(connect(url.toString())).rejects.toThrow('HTTP 403');
    url.searchParams.delete('conversation_signature');
    await expect(connect(url.toString())).rejects.toThrow('HTTP 403');
    expect(sim.socketAttempts.map((a) => a.status)).toEqual([101, 403, 403]);
  });

  it('injects failures: a signed-URL status, a refused socket', async () => {
    await start({ failures: { signedUrlStatus: 503 } });
    expect((await signedUrl()).status).toBe(503);
    sim.failures.signedUrlStatus = undefined;
    sim.failures.refuseSocket = true;
    const { body } = await signedUrl();
    await expect(connect(String(body.signed_url))).rejects.toThrow('HTTP 503');
  });
});

describe('conversation', () => {
  it('answers the initiation with metadata in the configured formats and records the dynamic variables', async () => {
    await start({ formats: { input: 'ulaw_8000', output: 'pcm_16000' } });
    const client = await openConversation({ caller_number: '+15551230000', call_sid: 'CA9' });
    const conv = await sim.nextConversation(1000);

    expect(client.messages[0]).toEqual({
      type: 'conversation_initiation_metadata',
      conversation_initiation_metadata_event: {
        conversation_id: conv.conversationId,
        agent_output_audio_format: 'pcm_16000',
        user_input_audio_format: 'ulaw_8000',
      },
    });
    expect(conv.dynamicVariables).toEqual({ caller_number: '+15551230000', call_sid: 'CA9' });
    expect(conv.ready).toBe(true);
    expect(sim.violations).toEqual([]);
  });

  it('withholds the metadata when asked, and flags audio sent before it', async () => {
    await start({ failures: { withholdMetadata: true } });
    const { body } = await signedUrl();
    const client = await connect(String(body.signed_url));
    client.send({ type: 'conversation_initiation_client_data' });
    const conv = await sim.nextConversation(1000);
    client.send({ user_audio_chunk: silence(20).toString('base64') });
    await conv.waitForUserAudio(160, 1000);

    expect(conv.ready).toBe(false);
    expect(client.messages).toEqual([]);
    expect(conv.violations.map((v) => v.why)).toEqual(['user audio before conversation_initiation_metadata']);
  });

  it('records user audio chunks exactly and in order, and flags a first message that is not the initiation', async () => {
    await start();
    const { body } = await signedUrl();
    const client = await connect(String(body.signed_url));
    const clip = loadClip('caller-backchannel');
    sendUserAudio(client, clip);
    const conv = await sim.nextConversation(1000);
    await conv.waitForUserAudio(clip.length, 2000);

    expect(conv.userAudioChunks).toEqual(toFrames(clip));
    expect(conv.userAudio()).toEqual(clip);
    expect(conv.violations.map((v) => v.why)).toEqual([
      'the first message must be conversation_initiation_client_data',
    ]);
  });

  it('sends agent audio with increasing event ids, then an interruption with a later id', async () => {
    await start();
    const client = await openConversation();
    const conv = await sim.nextConversation(1000);
    const greeting = loadClip('agent-greeting');
    const ids = conv.sendAudio(greeting, { chunkBytes: 8000 });
    const interruptionId = conv.interrupt();
    await client.waitFor(() => client.ofType('interruption').length === 1, 'interruption');

    expect(ids).toEqual([1, 2, 3, 4, 5]);
    expect(interruptionId).toBe(6);
    const audio = audioEvents(client);
    expect(audio.map((a) => a.event_id)).toEqual(ids);
    expect(Buffer.concat(audio.map((a) => Buffer.from(a.audio_base_64, 'base64')))).toEqual(greeting);
    expect(client.ofType('interruption')[0]).toEqual({
      type: 'interruption',
      interruption_event: { event_id: 6 },
    });

    conv.sendAudioEvent(audio[0]!.audio_base_64, 3); // a stale chunk after the interruption
    expect(conv.agentResponse('Sure.')).toBe(7);
    expect(sim.violations).toEqual([]);
  });

  it('pings, measures the pong and flags an unanswered ping', async () => {
    await start({ pongDeadlineMs: 150 });
    const client = await openConversation();
    const conv = await sim.nextConversation(1000);
    client.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      const ping = message.ping_event as { event_id: number } | undefined;
      if (message.type === 'ping' && ping && ping.event_id === 1)
        client.send({ type: 'pong', event_id: ping.event_id });
    });

    expect(await conv.ping()).toEqual({ type: 'pong', event_id: 1 });
    expect(conv.pongLatenciesMs).toHaveLength(1);
    await expect(conv.ping()).rejects.toThrow('no pong for ping 2');
    expect(client.ofType('ping')[1]).toMatchObject({
      ping_event: { event_id: 2, ping_ms: expect.any(Number) },
    });
    expect(conv.violations.map((v) => v.why)).toEqual(['no pong for ping 2 within 150 ms']);
  });

  it('runs a client tool call round trip and flags a malformed result', async () => {
    await start();
    const client = await openConversation();
    const conv = await sim.nextConversation(1000);
    const pending = conv.toolCall('check_availability', { date: '2026-11-26' });
    await client.waitFor(() => client.ofType('client_tool_call').length === 1, 'tool call');
    const call = client.ofType('client_tool_call')[0]?.client_tool_call as Message;
    expect(call).toMatchObject({
      tool_name: 'check_availability',
      parameters: { date: '2026-11-26' },
      event_id: 1,
    });

    client.send({
      type: 'client_tool_result',
      tool_call_id: call.tool_call_id,
      result: { slots: [] },
      is_error: false,
    });
    client.send({
      type: 'client_tool_result',
      tool_call_id: call.tool_call_id,
      result: 'Free at 15:00.',
      is_error: false,
    });

    expect(await pending).toEqual({
      type: 'client_tool_result',
      tool_call_id: call.tool_call_id,
      result: 'Free at 15:00.',
      is_error: false,
    });
    expect(conv.violations).toHaveLength(1);
    expect(conv.violations[0]?.why).toContain('/result must be string');
  });

  it('closes from the service side, after an error event when it fails', async () => {
    await start();
    const client = await openConversation();
    const conv = await sim.nextConversation(1000);
    conv.fail(1008, 'missing_dynamic_variable', 'Missing required dynamic variable business_name');

    expect(await client.closed).toBe(1008);
    expect(client.ofType('error')[0]).toMatchObject({
      error_event: { code: 1008, error_type: 'missing_dynamic_variable' },
    });
    expect((await conv.closed).code).toBe(1008);
    expect(sim.violations).toEqual([]);
  });
});

describe('script mode', () => {
  const script: ConversationScript = {
    greeting: { text: 'Thanks for calling Bolt. How can I help you today?', audioClip: 'agent-greeting' },
    turns: [
      {
        callerSays: 'Hi, I am calling about your AI receptionist service.',
        tools: [
          { name: 'save_lead', params: { name: 'Jane', interest: 'AI receptionist' } },
          { name: 'check_availability', params: { date: '2026-11-26' } },
        ],
        agentSays: { text: 'You are booked for tomorrow at three PM.', audioClip: 'agent-confirm' },
      },
    ],
  };

  /** Answers every tool call, like the bridge does. */
  function answerTools(client: TestClient): void {
    client.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      if (message.type !== 'client_tool_call') return;
      const call = message.client_tool_call as { tool_name: string; tool_call_id: string };
      client.send({
        type: 'client_tool_result',
        tool_call_id: call.tool_call_id,
        result: `${call.tool_name} done`,
        is_error: false,
      });
    });
  }

  it('greets, waits for the end of the turn, runs the tools in order and answers', async () => {
    await start({ script });
    const client = await openConversation();
    answerTools(client);
    const conv = await sim.nextConversation(1000);
    const greeting = loadClip('agent-greeting');
    const agentAudio = () =>
      Buffer.concat(audioEvents(client).map((a) => Buffer.from(a.audio_base_64, 'base64')));
    await client.waitFor(() => agentAudio().length === greeting.length, 'greeting audio');
    expect(client.ofType('agent_response')[0]).toMatchObject({
      agent_response_event: { agent_response: script.greeting.text },
    });
    expect(agentAudio()).toEqual(greeting);

    const hello = loadClip('caller-hello');
    sendUserAudio(client, hello);
    sendUserAudio(client, silence(DEFAULT_END_OF_TURN_SILENCE_MS - 500)); // with the clip's own tail: too short
    await conv.waitForUserAudio(hello.length + (DEFAULT_END_OF_TURN_SILENCE_MS - 500) * 8, 2000);
    // The simulator handles frames in order, so its own record is exact at this point.
    expect(conv.sent.filter((m) => m.type === 'user_transcript')).toEqual([]);

    sendUserAudio(client, silence(600));
    await conv.scriptDone;
    await client.waitFor(() => client.ofType('agent_response').length === 2, 'the answer');

    const types = client.messages.map((m) => m.type).filter((t) => t !== 'audio');
    expect(types).toEqual([
      'conversation_initiation_metadata',
      'agent_response',
      'user_transcript',
      'client_tool_call',
      'client_tool_call',
      'agent_response',
    ]);
    expect(client.ofType('client_tool_call').map((m) => (m.client_tool_call as Message).tool_name)).toEqual([
      'save_lead',
      'check_availability',
    ]);
    expect(conv.toolResults.map((r) => r.result)).toEqual(['save_lead done', 'check_availability done']);
    const ids = client.messages
      .slice(1)
      .map((m) => Object.values(m).find((v) => typeof v === 'object') as Message);
    const eventIds = ids.map((e) => e.event_id as number);
    expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(conv.transcript).toEqual([
      { role: 'agent', text: script.greeting.text },
      { role: 'user', text: script.turns[0]?.callerSays },
      { role: 'agent', text: script.turns[0]?.agentSays.text },
    ]);
    expect(conv.turnsCompleted).toBe(1);
    expect(conv.isOpen).toBe(true); // stays open after the last turn until the client closes
    expect(sim.violations).toEqual([]);
  });

  it('does not end the turn in the thinking pause of caller-mid-sentence-pause', async () => {
    const clip = loadClip('caller-mid-sentence-pause');
    // The fixture really holds a pause longer than 0.9 s of silence, but shorter than the default.
    const runs: number[] = [];
    let run = 0;
    for (const frame of toFrames(clip)) {
      if (isSilentUlaw(Buffer.from(frame, 'base64'))) run += 20;
      else {
        runs.push(run);
        run = 0;
      }
    }
    expect(Math.max(...runs)).toBeGreaterThan(900);
    expect(Math.max(...runs)).toBeLessThan(DEFAULT_END_OF_TURN_SILENCE_MS);

    await start({ script });
    const client = await openConversation();
    answerTools(client);
    const conv = await sim.nextConversation(1000);
    sendUserAudio(client, clip);
    await conv.waitForUserAudio(clip.length, 2000);
    expect(conv.sent.filter((m) => m.type === 'user_transcript')).toEqual([]);

    sendUserAudio(client, silence(DEFAULT_END_OF_TURN_SILENCE_MS));
    await client.waitFor(() => client.ofType('user_transcript').length === 1, 'the transcript');
    await conv.scriptDone;
    expect(client.ofType('user_transcript')).toHaveLength(1);
  });
});

describe('failure modes', () => {
  it('withholds the reply to a caller turn in script mode (the user_transcript comes, then nothing)', async () => {
    const script: ConversationScript = {
      greeting: { text: 'Hi.', audioClip: 'agent-greeting' },
      turns: [{ callerSays: 'Hello?', agentSays: { text: 'Yes?', audioClip: 'agent-confirm' } }],
    };
    await start({ script, failures: { withholdReplies: true } });
    const client = await openConversation();
    sendUserAudio(client, loadClip('caller-hello'));
    sendUserAudio(client, silence(DEFAULT_END_OF_TURN_SILENCE_MS + 200));
    await client.waitFor(() => client.ofType('user_transcript').length === 1, 'the transcript');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.ofType('agent_response')).toHaveLength(1); // the greeting only
  });

  it('stops its pings on stopPings(), and on hang() answers nothing at all, not even a WebSocket ping', async () => {
    await start({ pingIntervalMs: 20 });
    const client = await openConversation();
    client.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      if (message.type === 'ping') {
        client.send({ type: 'pong', event_id: (message.ping_event as { event_id: number }).event_id });
      }
    });
    await client.waitFor(() => client.ofType('ping').length >= 2, 'pings');
    const conv = await sim.nextConversation(5000);
    conv.stopPings();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const pings = client.ofType('ping').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.ofType('ping').length).toBe(pings);

    let pongs = 0;
    client.ws.on('pong', () => pongs++);
    client.ws.ping();
    await waitUntil(() => pongs > 0, 'the pong');
    expect(pongs).toBe(1);
    conv.hang();
    client.ws.ping();
    conv.agentResponse('Nobody hears this.');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pongs).toBe(1);
    expect(client.ofType('agent_response')).toEqual([]);
  });
});
