import { Logger } from '@aws-lambda-powertools/logger';
import {
  createElevenLabsEngine,
  type ElevenLabsEngineOptions,
} from '../../../services/adapters/elevenlabs/engine.js';
import {
  type EngineCallContext,
  type EngineSession,
  EngineStartError,
} from '../../../services/core/ports/engine.js';
import { loadClip, toFrames } from '../../../services/local/sim/audio.js';
import {
  type ElevenLabsSim,
  type ElevenLabsSimOptions,
  type SimConversation,
  startElevenLabsSim,
} from '../../../services/local/sim/elevenlabs-server.js';
import { engineCallContext } from '../../support/engine-call-context.js';
import {
  expectKeepaliveStallAfterHang,
  expectLenientKeepaliveUntilPong,
} from '../../support/engine-keepalive.js';
import { type Recorder, recorder } from '../../support/engine-recorder.js';
import { sessionsClosedAfterEach } from '../../support/engine-sessions.js';
import { logEntries } from '../../support/log-entries.js';
import { waitUntil } from '../../support/wait-until.js';

const API_KEY = 'xi-test';
const AGENT_ID = 'agent_test';

const context = engineCallContext();

let sim: ElevenLabsSim;
const open = sessionsClosedAfterEach(() => sim);

async function setUp(
  options: Partial<ElevenLabsSimOptions> = {},
  engine: Partial<ElevenLabsEngineOptions> = {},
) {
  sim = await startElevenLabsSim({ apiKey: API_KEY, agentId: AGENT_ID, ...options });
  return createElevenLabsEngine({
    ...engine,
    apiKey: engine.apiKey ?? API_KEY,
    agentId: engine.agentId ?? AGENT_ID,
    apiUrl: sim.apiUrl,
  });
}

async function startReady(
  options: Partial<ElevenLabsSimOptions> = {},
  callContext: EngineCallContext = context,
  engineOptions: Partial<ElevenLabsEngineOptions> = {},
): Promise<{ r: Recorder; session: EngineSession; conversation: SimConversation }> {
  const engine = await setUp(options, engineOptions);
  const r = recorder();
  const session = await engine.start(callContext, r.listener, new AbortController().signal);
  open.push(session);
  const conversation = await sim.nextConversation(2000);
  return { r, session, conversation };
}

async function startError(promise: Promise<EngineSession>): Promise<EngineStartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineStartError);
  expect((error as EngineStartError).engine).toBe('elevenlabs');
  return error as EngineStartError;
}

describe('ElevenLabs engine', () => {
  it('fetches a signed URL with the key, then opens with the dynamic variables of the call', async () => {
    const { conversation } = await startReady();
    expect(sim.signedUrlRequests).toEqual([{ agentId: AGENT_ID, apiKeyValid: true, status: 200 }]);
    expect(conversation.dynamicVariables).toMatchObject({
      caller_number: '+15551230000',
      business_name: 'Harbor Dental',
      customer_name: '"Dana"', // caller-originated: quoted (persona.quoted)
      call_direction: 'inbound',
      first_message: 'Thanks for calling Harbor Dental. How can I help you today?',
    });
    expect(conversation.violations).toEqual([]);
  });

  it('opens an outbound call with an outbound greeting in first_message', async () => {
    const { conversation } = await startReady(
      {},
      { ...context, direction: 'outbound', outboundReason: 'quote' },
    );
    expect(conversation.dynamicVariables.first_message).toBe(
      'Hi Dana, this is the receptionist at Harbor Dental, calling you back. Is now a good time?',
    );
  });

  it('passes audio through both ways as the exact strings', async () => {
    const { r, session, conversation } = await startReady();
    const frames = toFrames(loadClip('caller-hello').subarray(0, 1600));
    for (const frame of frames) expect(session.sendCallerAudio(frame)).toBe(true);
    await conversation.waitForUserAudio(1600, 2000);
    expect(conversation.userAudioChunks).toEqual(frames);

    const agent = loadClip('agent-greeting').subarray(0, 3200);
    conversation.sendAudio(agent, { chunkBytes: 800 });
    await waitUntil(() => r.audio.length === 4, 'agent audio');
    expect(Buffer.concat(r.audio.map((a) => Buffer.from(a.payload, 'base64'))).equals(agent)).toBe(true);
  });

  it('on interruption reports it and drops audio not newer than the interruption id', async () => {
    const { r, conversation } = await startReady();
    conversation.sendAudio(Buffer.alloc(800, 0x10), { chunkBytes: 800 });
    await waitUntil(() => r.audio.length === 1, 'first audio');
    const id = conversation.interrupt();
    conversation.sendAudioEvent(Buffer.alloc(160, 0x11).toString('base64'), id - 1);
    conversation.sendAudioEvent(Buffer.alloc(160, 0x12).toString('base64'), id);
    conversation.sendAudioEvent(Buffer.alloc(160, 0x13).toString('base64'), id + 1);
    await waitUntil(() => r.audio.length === 2, 'fresh audio');
    expect(r.interruptions).toBe(1);
    expect(Buffer.from(r.audio[1]!.payload, 'base64')[0]).toBe(0x13);
  });

  it('reports a correction as the interrupted reply, replacing the last agent turn', async () => {
    const { r, conversation } = await startReady();
    conversation.agentResponse('Our opening hours are nine to five, Monday to Friday.');
    conversation.interrupt();
    conversation.correctAgentResponse(
      'Our opening hours are nine to five, Monday to Friday.',
      'Our opening hours',
    );
    await waitUntil(() => r.transcripts.length === 2, 'correction');
    expect(r.transcripts[1]).toEqual({
      role: 'agent',
      text: 'Our opening hours',
      interrupted: true,
      replacesLast: true,
    });
  });

  it('answers pings, runs client tools and passes instructions as contextual updates', async () => {
    const { r, session, conversation } = await startReady();
    await conversation.ping();
    const result = conversation.toolCall('check_availability', { date: '2026-12-01' });
    await waitUntil(() => r.toolCalls.length === 1, 'tool call');
    session.sendToolResult(r.toolCalls[0]!.callId, { ok: false, text: 'Calendar unavailable.' });
    expect(await result).toMatchObject({ result: 'Calendar unavailable.', is_error: true });
    session.instruct('Wrap up now.');
    await conversation.waitFor((c) => c.receivedOfType('contextual_update').length === 1, 2000);
    expect(conversation.receivedOfType('contextual_update')[0]).toEqual({
      type: 'contextual_update',
      text: 'Wrap up now.',
    });
    expect(conversation.violations).toEqual([]);
  });

  it('taking over a call, sends the conversation so far and opens with the bridging line', async () => {
    const { conversation } = await startReady(
      {},
      {
        ...context,
        handover: {
          from: 'openai',
          reason: 'engine-closed (1011)',
          turns: [{ role: 'caller', text: 'I need a cleaning.' }],
          toolResults: [],
        },
      },
    );
    expect(conversation.dynamicVariables.first_message).toBe(
      'Sorry, I lost you for a second — you were saying?',
    );
    await conversation.waitFor((c) => c.receivedOfType('contextual_update').length === 1, 2000);
    expect(conversation.receivedOfType('contextual_update')[0]?.text).toContain(
      'Caller: "I need a cleaning."',
    );
  });

  it('reports a server close after ready, and close() is idempotent with code 1000', async () => {
    const first = await startReady();
    first.conversation.fail(1011, 'internal_error', 'Something went wrong');
    await waitUntil(() => first.r.ended.length === 1, 'ended');
    expect(first.r.ended[0]).toMatchObject({ kind: 'engine-closed', code: 1011 });
    expect(first.session.sendCallerAudio('//////////8=')).toBe(false);
  });

  it('close() closes with 1000 once and reports nothing', async () => {
    const { r, session, conversation } = await startReady();
    session.close();
    session.close();
    expect((await conversation.closed).code).toBe(1000);
    expect(r.ended).toEqual([]);
  });
});

describe('ElevenLabs engine start failures', () => {
  const start = (engine: Awaited<ReturnType<typeof setUp>>, signal = new AbortController().signal) =>
    engine.start(context, recorder().listener, signal);

  it('refuses an agent whose audio is not μ-law 8000, logging the setup hint', async () => {
    const errorLog = jest.spyOn(Logger.prototype, 'error');
    const engine = await setUp({ formats: { input: 'pcm_16000', output: 'ulaw_8000' } });
    const error = await startError(start(engine));
    expect(error.reason).toMatch(/pcm_16000 in \/ ulaw_8000 out, not ulaw_8000/);
    const { message } = logEntries(errorLog)[0]!;
    expect(message).toMatch(/agent:sync/);
    expect(message).toMatch(/μ-law 8000 Hz/);
  });

  it.each([
    ['a wrong key', { apiKey: 'xi-wrong' }, {}, /HTTP 401 \(check ELEVENLABS_API_KEY\)/],
    ['an unknown agent', { agentId: 'agent_other' }, {}, /HTTP 404 \(check ELEVENLABS_AGENT_ID\)/],
    ['a service error', {}, { failures: { signedUrlStatus: 503 } }, /HTTP 503 \(ElevenLabs is unavailable/],
  ])('names the cause of a refused signed URL: %s', async (_what, engineOptions, simOptions, reason) => {
    const engine = await setUp(simOptions, engineOptions);
    expect((await startError(start(engine))).reason).toMatch(reason);
    expect(sim.socketAttempts).toEqual([]);
  });

  it('reports an unreachable API', async () => {
    const engine = createElevenLabsEngine({
      apiKey: API_KEY,
      agentId: AGENT_ID,
      apiUrl: 'http://127.0.0.1:9',
    });
    sim = await startElevenLabsSim({ apiKey: API_KEY, agentId: AGENT_ID });
    expect((await startError(start(engine))).reason).toMatch(/signed URL request failed/);
  });

  it('rejects a refused socket', async () => {
    const engine = await setUp({ failures: { refuseSocket: true } });
    expect((await startError(start(engine))).reason).toMatch(/HTTP 503/);
  });

  it('rejects on the connect bound when the metadata never comes, and closes the socket', async () => {
    const engine = await setUp({ failures: { withholdMetadata: true } });
    const controller = new AbortController();
    const starting = start(engine, controller.signal);
    const conversation = await sim.nextConversation(2000);
    controller.abort();
    expect((await startError(starting)).reason).toMatch(/no conversation_initiation_metadata/);
    await conversation.closed;
  });
});

describe('ElevenLabs engine: a frozen engine is an engine that dropped', () => {
  const fast = { pingIntervalMs: 40, stallAfterMs: 150, missedPings: 3, replyTimeoutMs: 200 };
  // The reply tests judge only the reply timer: a keepalive limit this short would also trip on a
  // loaded machine whose event loop stalls for a moment (as CI's does), so theirs is generous.
  const replyOnly = { ...fast, stallAfterMs: 5000 };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('stays up while the service answers our WebSocket pings, with no message of its own', async () => {
    const { r } = await startReady({}, context, fast);
    await sleep(400);
    expect(r.ended).toEqual([]);
  });

  it('reports a service that stops answering as stalled (keepalive) and drops its socket', async () => {
    const { r, conversation } = await startReady({}, context, fast);
    await expectKeepaliveStallAfterHang(
      r,
      () => conversation.hang(),
      fast,
      /^no pong or message for \d+ ms$/,
    );
  });

  it('judges silence three times as leniently until a pong shows the service answers pings', async () => {
    const { r } = await startReady({ failures: { ignorePings: true } }, context, fast);
    await expectLenientKeepaliveUntilPong(r, fast);
  });

  it('reports ElevenLabs pings that stop arriving as stalled (keepalive), though the socket answers', async () => {
    const { r, conversation } = await startReady({ pingIntervalMs: 30 }, context, fast);
    await conversation.waitFor((c) => c.pongs.length >= 4, 2000, 'four pongs');
    expect(r.ended).toEqual([]);
    conversation.stopPings();
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended).toEqual([
      {
        kind: 'engine-stalled',
        stall: 'keepalive',
        detail: expect.stringMatching(
          /^its pings stopped: none for \d+ ms \(they came every \d+ ms at most\)$/,
        ),
      },
    ]);
  });

  it('reports an agent that does not answer the caller turn as stalled (response)', async () => {
    const { r, conversation } = await startReady({}, context, replyOnly);
    conversation.userTranscript('Are you there?');
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended).toEqual([
      {
        kind: 'engine-stalled',
        stall: 'response',
        detail: `no agent reply within ${fast.replyTimeoutMs} ms of the caller's turn`,
      },
    ]);
  });

  it('counts the reply time from when the agent audio already sent has played out', async () => {
    const { r, conversation } = await startReady({}, context, replyOnly);
    conversation.sendAudio(Buffer.alloc(8 * 400, 0x55)); // 400 ms, sent at once
    await waitUntil(() => r.audio.length > 0, 'agent audio');
    conversation.userTranscript('Mm-hmm.');
    await sleep(450);
    expect(r.ended).toEqual([]);
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended[0]).toMatchObject({ kind: 'engine-stalled', stall: 'response' });
  });

  it('an agent that answers, or is still listening, is not stalled', async () => {
    const { r, conversation } = await startReady({}, context, replyOnly);
    conversation.userTranscript('Hi.');
    await sleep(120);
    conversation.agentResponse('Hello!');
    await sleep(fast.replyTimeoutMs + 50);
    // The caller goes on talking: tentative transcripts keep giving the agent its time.
    conversation.userTranscript('I also wanted to ask');
    for (let i = 0; i < 4; i++) {
      await sleep(120);
      sendTentative(conversation, 'about Friday');
    }
    conversation.sendAudio(Buffer.alloc(800, 0x55));
    await sleep(fast.replyTimeoutMs + 150);
    expect(r.ended).toEqual([]);
  });

  it('after a tool result the agent owes a reply', async () => {
    const { r, session, conversation } = await startReady({}, context, replyOnly);
    const result = conversation.toolCall('check_availability', { date: '2026-12-01' });
    await waitUntil(() => r.toolCalls.length === 1, 'tool call');
    await sleep(fast.replyTimeoutMs + 50); // the tool may take its time
    expect(r.ended).toEqual([]);
    session.sendToolResult(r.toolCalls[0]!.callId, { ok: true, text: 'Free at 09:00.' });
    await result;
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended[0]).toMatchObject({ kind: 'engine-stalled', stall: 'response' });
  });
});

/** A `tentative_user_transcript` (the service is still hearing the caller); the simulator has no helper for it. */
function sendTentative(conversation: SimConversation, text: string): void {
  (conversation as unknown as { emit(message: Record<string, unknown>): void }).emit({
    type: 'tentative_user_transcript',
    tentative_user_transcription_event: { user_transcript: text, event_id: 999 },
  });
}
