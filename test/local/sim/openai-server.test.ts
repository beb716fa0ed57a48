import WebSocket from 'ws';
import type { EngineCallContext, EngineSession } from '../../../services/core/ports/engine.js';
import { loadClip, silence, toFrames } from '../../../services/local/sim/audio.js';
import { type OpenAiSim, startOpenAiSim } from '../../../services/local/sim/openai-server.js';
import type { ConversationScript } from '../../../services/local/sim/script.js';
import { testOpenAiEngine } from '../../support/openai-engine.js';
import { waitUntil } from '../../support/wait-until.js';

const API_KEY = 'sk-sim';
type Json = Record<string, unknown>;

let sim: OpenAiSim;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await sim?.close();
});

/** A raw client, to send what our engine never would. */
async function rawClient(headers: Record<string, string>, query = '?model=gpt-realtime') {
  const socket = new WebSocket(`${sim.url}${query}`, { headers });
  sockets.push(socket);
  const received: Json[] = [];
  socket.on('message', (data) => received.push(JSON.parse(data.toString()) as Json));
  const status = await new Promise<number>((resolve) => {
    socket.once('open', () => resolve(101));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => resolve(-1));
  });
  return { socket, received, status };
}

const gaSession = {
  type: 'realtime',
  audio: {
    input: { format: { type: 'audio/pcmu' } },
    output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
  },
};

describe('OpenAI sim: handshake', () => {
  it('refuses an OpenAI-Beta header with HTTP 400, like the retired beta API', async () => {
    sim = await startOpenAiSim({ apiKey: API_KEY });
    const { status } = await rawClient({ Authorization: `Bearer ${API_KEY}`, 'OpenAI-Beta': 'realtime=v1' });

    expect(status).toBe(400);
    expect(sim.sessions).toHaveLength(0);
    expect(sim.rejectedUpgrades[0]).toMatchObject({
      status: 400,
      reason: expect.stringContaining('Beta API'),
    });
    expect(sim.violations).toContainEqual(expect.stringContaining('OpenAI-Beta'));
  });

  it('requires the bearer key and ?model=', async () => {
    sim = await startOpenAiSim({ apiKey: API_KEY });
    expect((await rawClient({ Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await rawClient({})).status).toBe(401);
    expect((await rawClient({ Authorization: `Bearer ${API_KEY}` }, '')).status).toBe(400);
    expect(sim.sessions).toHaveLength(0);
  });

  it('accepts a GA handshake and sends session.created first', async () => {
    sim = await startOpenAiSim({ apiKey: API_KEY });
    const { status, received } = await rawClient({ Authorization: `Bearer ${API_KEY}` });
    expect(status).toBe(101);
    await waitUntil(() => received.length > 0, 'session.created');
    expect(received[0]).toMatchObject({
      type: 'session.created',
      session: { type: 'realtime', model: 'gpt-realtime' },
    });
  });
});

describe('OpenAI sim: client events', () => {
  async function connected() {
    sim = await startOpenAiSim({ apiKey: API_KEY, responseCreateWaitMs: 200 });
    const client = await rawClient({ Authorization: `Bearer ${API_KEY}` });
    const session = await sim.nextSession();
    const send = (event: Json) => client.socket.send(JSON.stringify(event));
    return { ...client, session, send };
  }

  it('answers a beta session.update with an error, records it, and does not apply it', async () => {
    const { received, session, send } = await connected();

    send({
      type: 'session.update',
      event_id: 'evt_beta',
      session: {
        modalities: ['audio'],
        voice: 'alloy',
        input_audio_format: 'g711_ulaw',
        output_audio_format: 'g711_ulaw',
      },
    });
    await waitUntil(() => received.some((e) => e.type === 'error'), 'error');

    const error = received.find((e) => e.type === 'error')!;
    expect(error).toMatchObject({ error: { type: 'invalid_request_error', event_id: 'evt_beta' } });
    expect(received.some((e) => e.type === 'session.updated')).toBe(false);
    expect(session.sessionConfig).toBeUndefined();
    expect(sim.violations).toContainEqual(expect.stringContaining('input_audio_format is a beta field'));
    expect(sim.violations).toContainEqual(expect.stringContaining('session.type is missing'));
  });

  it('answers a GA session.update with session.updated carrying the effective config', async () => {
    const { received, session, send } = await connected();

    send({ type: 'session.update', session: gaSession });
    await waitUntil(() => received.some((e) => e.type === 'session.updated'), 'session.updated');

    expect(session.sessionConfig).toEqual(gaSession);
    expect(received.find((e) => e.type === 'session.updated')).toMatchObject({
      session: { audio: { output: { format: { type: 'audio/pcmu' }, voice: 'marin' } } },
    });
    expect(sim.violations).toEqual([]);
  });

  it('refuses unknown and malformed client events with an error', async () => {
    const { received, send, socket } = await connected();

    send({ type: 'response.audio.delta', delta: 'AA' });
    send({ type: 'input_audio_buffer.append' });
    socket.send('{nope');
    await waitUntil(() => received.filter((e) => e.type === 'error').length === 3, 'three errors');

    expect(sim.violations).toEqual([
      expect.stringContaining('response.audio.delta is a beta event name'),
      expect.stringContaining("must have required property 'audio'"),
      expect.stringContaining('not JSON'),
    ]);
  });

  it('checks truncations against the audio it sent for the item, like the real API', async () => {
    const { received, session, send } = await connected();
    const { itemId } = await session.respond({
      text: 'Hello there.',
      audio: loadClip('agent-greeting').subarray(0, 1600),
    });

    send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 200 });
    send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 201 });
    send({ type: 'conversation.item.truncate', item_id: 'item_never', content_index: 0, audio_end_ms: 0 });
    await session.waitForEvent('conversation.item.truncate', 3);
    await waitUntil(() => received.filter((e) => e.type === 'error').length === 2, 'two errors');

    expect(received.filter((e) => e.type === 'conversation.item.truncated')).toEqual([
      expect.objectContaining({ item_id: itemId, audio_end_ms: 200 }),
    ]);
    expect(session.errorsSent.map((e) => (e.error as Json).message)).toEqual([
      'Audio content of 200ms is already shorter than 201ms',
      'Only model output audio messages can be truncated',
    ]);
    expect(session.truncations).toHaveLength(3);
  });

  it('speechStarted cancels an in-progress response', async () => {
    const { received, session } = await connected();

    const response = session.respond({
      text: 'one two three four five six',
      audio: loadClip('agent-confirm'),
    });
    await waitUntil(() => received.some((e) => e.type === 'response.output_audio.delta'), 'audio');
    session.speechStarted();
    const outcome = await response;

    expect(outcome.status).toBe('cancelled');
    expect(outcome.sentBytes).toBeLessThan(loadClip('agent-confirm').length);
    await waitUntil(() => received.some((e) => e.type === 'response.done'), 'response.done');
    expect(received.find((e) => e.type === 'response.done')).toMatchObject({
      response: { status: 'cancelled', status_details: { reason: 'turn_detected' } },
    });
    expect(sim.violations).toEqual([]);
  });

  it('records a function_call_output that is not followed by response.create', async () => {
    const { received, send, session } = await connected();

    const output = session.functionCall('end_call', { reason: 'done' });
    await waitUntil(() => received.some((e) => e.type === 'response.function_call_arguments.done'), 'call');
    const call = received.find((e) => e.type === 'response.function_call_arguments.done')!;
    expect(call).toMatchObject({ name: 'end_call', arguments: '{"reason":"done"}' });
    send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: call.call_id, output: 'Bye.' },
    });

    expect(await output).toEqual({ type: 'function_call_output', call_id: call.call_id, output: 'Bye.' });
    expect(sim.violations).toEqual(['end_call: function_call_output not followed by response.create']);
  });
});

describe('OpenAI sim: script mode with the engine', () => {
  const script: ConversationScript = {
    greeting: {
      text: 'Thanks for calling Harbor Dental. How can I help you today?',
      audioClip: 'agent-greeting',
    },
    turns: [
      {
        callerSays: 'Hi, I would like to book a cleaning next Tuesday.',
        tools: [{ name: 'check_availability', params: { date: '2026-12-01' } }],
        agentSays: { text: 'Tuesday at nine works. Shall I book it?', audioClip: 'agent-confirm' },
      },
      { callerSays: 'Yes please.', agentSays: { text: 'Done, see you then.', audioClip: 'agent-greeting' } },
    ],
    // The fixture's "0.9 s" pause measures 1344 ms by isSilentUlaw (quiet word tails count as silence),
    // so the 1200 ms default would end the turn inside it.
    endOfTurnSilenceMs: 1600,
  };
  const context: EngineCallContext = {
    callSid: 'CAscript',
    streamSid: 'MZscript',
    direction: 'inbound',
    remoteNumber: '+15551230000',
    businessName: 'Harbor Dental',
    businessTimezone: 'America/New_York',
    now: Date.UTC(2026, 10, 25, 14, 30),
    tools: [],
  };
  let session: EngineSession | undefined;
  afterEach(() => session?.close());

  it('greets, ends turns on silence (not on a thinking pause), runs tools and answers', async () => {
    sim = await startOpenAiSim({ apiKey: API_KEY, script, audioSpeedup: 50 });
    const engine = testOpenAiEngine(sim.url, API_KEY);
    const transcripts: string[] = [];
    const audio: string[] = [];
    let speechStarts = 0;
    const started = engine.start(
      context,
      {
        audio: (payload) => audio.push(payload),
        // `create_response` is off: the answer comes when the client asks for it (the bridge does).
        callerTurnEnded: () => session?.respond(),
        interruption: () => {},
        callerSpeechStarted: () => {
          speechStarts++;
        },
        usage: () => {},
        engineChanged: () => {},
        transcript: (role, text) => transcripts.push(`${role}: ${text}`),
        toolCall: (call) => session?.sendToolResult(call.callId, { ok: true, text: `ran ${call.name}` }),
        ended: () => undefined,
      },
      new AbortController().signal,
    );
    session = await started;
    const simSession = await sim.nextSession();
    await waitUntil(() => transcripts.length === 1, 'greeting');
    expect(Buffer.concat(audio.map((a) => Buffer.from(a, 'base64'))).equals(loadClip('agent-greeting'))).toBe(
      true,
    );

    // A caller with a 0.9 s thinking pause, then 1.5 s of silence: one turn, not two.
    for (const frame of toFrames(Buffer.concat([loadClip('caller-mid-sentence-pause'), silence(1500)]))) {
      session.sendCallerAudio(frame);
    }
    await waitUntil(() => transcripts.length === 3, 'first turn');
    expect(speechStarts).toBe(1);
    const toolOutput = simSession.events.find((e) => e.type === 'conversation.item.create');
    expect(toolOutput).toMatchObject({
      item: { type: 'function_call_output', output: 'ran check_availability' },
    });

    for (const frame of toFrames(Buffer.concat([loadClip('caller-hello'), silence(1500)]))) {
      session.sendCallerAudio(frame);
    }
    await waitUntil(() => transcripts.length === 5, 'second turn');

    expect(transcripts).toEqual([
      'agent: Thanks for calling Harbor Dental. How can I help you today?',
      'caller: Hi, I would like to book a cleaning next Tuesday.',
      'agent: Tuesday at nine works. Shall I book it?',
      'caller: Yes please.',
      'agent: Done, see you then.',
    ]);
    expect(sim.violations).toEqual([]);
  });
});

describe('OpenAI sim: every response.create gets a response, and the failure modes', () => {
  async function connected(options: Partial<Parameters<typeof startOpenAiSim>[0]> = {}) {
    sim = await startOpenAiSim({ apiKey: API_KEY, autoAnswerMs: 50, ...options });
    const client = await rawClient({ Authorization: `Bearer ${API_KEY}` });
    const session = await sim.nextSession();
    const send = (event: Json) => client.socket.send(JSON.stringify(event));
    const types = () => client.received.map((e) => e.type);
    return { ...client, session, send, types };
  }

  it('answers a response.create nothing else answers with an empty response', async () => {
    const { send, types, received } = await connected();
    send({ type: 'response.create' });
    await waitUntil(() => types().includes('response.done'), 'response.done');
    expect(types().slice(-2)).toEqual(['response.created', 'response.done']);
    expect(received.at(-1)).toMatchObject({ response: { status: 'completed', output: [] } });
    expect(sim.violations).toEqual([]);
  });

  it('lets a test response answer it instead: no empty response on top', async () => {
    const { send, types, session } = await connected({ autoAnswerMs: 100 });
    send({ type: 'response.create' });
    await session.waitForEvent('response.create');
    await session.respond({ text: 'Hi.', audio: loadClip('agent-greeting').subarray(0, 800) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(types().filter((t) => t === 'response.created')).toHaveLength(1);
  });

  it('cancels the empty answer when asked in time', async () => {
    const { send, types, received } = await connected();
    send({ type: 'response.create' });
    await waitUntil(() => types().includes('response.created'), 'response.created');
    send({ type: 'response.cancel' });
    await waitUntil(() => types().includes('response.done'), 'response.done');
    expect(received.at(-1)).toMatchObject({ response: { status: 'cancelled' } });
  });

  it('fails responses on request: refused by an error naming the event, or ended failed', async () => {
    const { send, types, received, session } = await connected();
    session.failResponses(1, 'error');
    session.failResponses(1, 'failed');
    send({ type: 'response.create', event_id: 'create_1' });
    await waitUntil(() => types().includes('error'), 'error');
    expect(received.find((e) => e.type === 'error')).toMatchObject({
      error: { type: 'server_error', event_id: 'create_1' },
    });
    send({ type: 'response.create' });
    await waitUntil(() => types().includes('response.done'), 'response.done');
    expect(received.at(-1)).toMatchObject({
      response: { status: 'failed', status_details: { type: 'failed', error: { type: 'server_error' } } },
    });
    expect(sim.violations).toEqual([]);
  });

  it('withholds responses when told, and hangs: no event, no pong', async () => {
    const { send, types, socket, session } = await connected({ failures: { withholdResponses: true } });
    send({ type: 'response.create' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(types()).toEqual(['session.created']);
    let pongs = 0;
    socket.on('pong', () => pongs++);
    socket.ping();
    await waitUntil(() => pongs === 1, 'pong');
    session.hang();
    socket.ping();
    session.speechStarted();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pongs).toBe(1);
    expect(types()).toEqual(['session.created']);
  });
});
