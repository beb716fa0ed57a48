import { Logger } from '@aws-lambda-powertools/logger';
import type { OpenAiRealtimeEngineOptions } from '../../../services/adapters/openai-realtime/engine.js';
import { type EngineSession, EngineStartError } from '../../../services/core/ports/engine.js';
import type { ToolDefinition } from '../../../services/core/ports/tool-calls.js';
import { loadClip, toFrames } from '../../../services/local/sim/audio.js';
import { validateClientEvent } from '../../../services/local/sim/openai-schemas.js';
import {
  type OpenAiSim,
  type OpenAiSimOptions,
  startOpenAiSim,
} from '../../../services/local/sim/openai-server.js';
import { engineCallContext } from '../../support/engine-call-context.js';
import {
  expectKeepaliveStallAfterHang,
  expectLenientKeepaliveUntilPong,
} from '../../support/engine-keepalive.js';
import { recorder } from '../../support/engine-recorder.js';
import { sessionsClosedAfterEach } from '../../support/engine-sessions.js';
import { logEntries } from '../../support/log-entries.js';
import { TELEPHONY_INPUT_TURNS, TELEPHONY_OUTPUT, testOpenAiEngine } from '../../support/openai-engine.js';
import { waitUntil } from '../../support/wait-until.js';

const API_KEY = 'sk-test-openai';
const CALL_SID = 'CA0123456789abcdef0123456789abcdef';

const tools: ToolDefinition[] = [
  {
    name: 'check_availability',
    description: 'Free slots on a day',
    parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
  },
  { name: 'end_call', description: 'Hang up', parameters: { type: 'object', properties: {} } },
];

const context = engineCallContext({ callSid: CALL_SID, tools });

let sim: OpenAiSim;
const openSessions = sessionsClosedAfterEach(() => sim);

async function setUp(
  simOptions: Partial<OpenAiSimOptions> = {},
  engineOptions: Partial<OpenAiRealtimeEngineOptions> = {},
) {
  sim = await startOpenAiSim({ apiKey: API_KEY, ...simOptions });
  return testOpenAiEngine(sim.url, API_KEY, engineOptions);
}

async function startReady(
  simOptions: Partial<OpenAiSimOptions> = {},
  engineOptions: Partial<OpenAiRealtimeEngineOptions> = {},
) {
  const engine = await setUp(simOptions, engineOptions);
  const r = recorder();
  const session = await engine.start(context, r.listener, new AbortController().signal);
  openSessions.push(session);
  const simSession = await sim.nextSession();
  return { engine, r, session, simSession };
}

/** The engine's opening response.create has been answered (the simulator's empty answer), as the engine saw it. */
async function greetingAnswered(simSession: { sent: Array<Record<string, unknown>> }): Promise<void> {
  await waitUntil(() => simSession.sent.some((e) => e.type === 'response.done'), 'the greeting answered');
  await new Promise((resolve) => setTimeout(resolve, 30));
}

describe('OpenAI Realtime engine', () => {
  it('connects with only the bearer token, configures a GA session and speaks first', async () => {
    const { simSession } = await startReady();

    expect(simSession.model).toBe('gpt-realtime');
    expect(simSession.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(simSession.headers['openai-beta']).toBeUndefined();
    const config = simSession.sessionConfig!;
    expect(config).toMatchObject({
      type: 'realtime',
      model: 'gpt-realtime',
      output_modalities: ['audio'],
      audio: { input: TELEPHONY_INPUT_TURNS, output: TELEPHONY_OUTPUT },
      tool_choice: 'auto',
    });
    expect(config.instructions).toEqual(expect.stringContaining('Harbor Dental'));
    expect(config.instructions).toEqual(expect.stringContaining('Dana'));
    expect((config.tools as Array<{ name: string }>).map((t) => t.name)).toEqual([
      'check_availability',
      'end_call',
    ]);
    // The agent speaks first: a response.create right after the session is ready.
    await simSession.waitForEvent('response.create');
    const types = simSession.events.map((e) => e.type);
    expect(types).toEqual(['session.update', 'response.create']);
    for (const event of simSession.events) expect(validateClientEvent(event)).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('passes caller audio through as the exact payload strings, in order', async () => {
    const { session, simSession } = await startReady();
    const frames = toFrames(loadClip('caller-hello'));

    for (const frame of frames) session.sendCallerAudio(frame);
    await simSession.waitForEvent('input_audio_buffer.append', frames.length);

    expect(simSession.appendedAudio).toEqual(frames);
    expect(simSession.callerAudio().equals(loadClip('caller-hello'))).toBe(true);
    expect(sim.violations).toEqual([]);
  });

  it('passes agent audio through as the exact delta strings, with the item id', async () => {
    const { r, simSession } = await startReady();
    const clip = loadClip('agent-greeting');

    const outcome = await simSession.respond({ text: 'Thanks for calling Harbor Dental.', audio: clip });
    await waitUntil(() => r.transcripts.length === 1, 'agent transcript');

    const sentDeltas = simSession.sent
      .filter((e) => e.type === 'response.output_audio.delta')
      .map((e) => e.delta);
    expect(r.audio.map((a) => a.payload)).toEqual(sentDeltas);
    expect(new Set(r.audio.map((a) => a.itemId))).toEqual(new Set([outcome.itemId]));
    expect(Buffer.concat(r.audio.map((a) => Buffer.from(a.payload, 'base64'))).equals(clip)).toBe(true);
    expect(r.transcripts).toEqual([
      { role: 'agent', text: 'Thanks for calling Harbor Dental.', itemId: outcome.itemId },
    ]);
  });

  it('reports caller speech without stopping the agent; cancels and truncates when the bridge asks', async () => {
    const { r, session, simSession } = await startReady();

    const response = simSession.respond({
      text: 'Let me tell you all about our opening hours.',
      audio: loadClip('agent-confirm'),
    });
    await waitUntil(() => r.audio.length >= 2, 'agent audio');
    simSession.speechStarted();
    await waitUntil(() => r.speechStarts === 1, 'speech started');
    expect(r.interruptions).toBe(0);
    // interrupt_response is off: the response goes on until the bridge decides it is a barge-in.
    expect(simSession.responding).toBe(true);
    session.cancelResponse();
    await simSession.waitForEvent('response.cancel');
    const outcome = await response;
    expect(outcome.status).toBe('cancelled');

    session.truncate(outcome.itemId, 150);
    const truncate = await simSession.waitForEvent('conversation.item.truncate');

    expect(truncate).toEqual({
      type: 'conversation.item.truncate',
      item_id: outcome.itemId,
      content_index: 0,
      audio_end_ms: 150,
    });
    await waitUntil(() => simSession.sent.some((e) => e.type === 'conversation.item.truncated'), 'truncated');
    expect(simSession.errorsSent).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('never sends a negative or fractional audio_end_ms', async () => {
    const { session, simSession } = await startReady();
    const { itemId } = await simSession.respond({
      text: 'Hi.',
      audio: loadClip('agent-greeting').subarray(0, 1600),
    });

    session.truncate(itemId, -25);
    session.truncate(itemId, 99.7);

    expect((await simSession.waitForEvent('conversation.item.truncate', 1)).audio_end_ms).toBe(0);
    expect((await simSession.waitForEvent('conversation.item.truncate', 2)).audio_end_ms).toBe(99);
  });

  it('round-trips a function call: one toolCall, then the output and a response.create', async () => {
    const { r, session, simSession } = await startReady();

    const output = simSession.functionCall('check_availability', { date: '2026-12-01' });
    await waitUntil(() => r.toolCalls.length === 1, 'tool call');
    const call = r.toolCalls[0]!;
    expect(call).toEqual({
      callId: expect.any(String),
      name: 'check_availability',
      args: { date: '2026-12-01' },
    });
    session.sendToolResult(call.callId, { ok: true, text: 'Free at 09:00 and 14:00.' });

    expect(await output).toEqual({
      type: 'function_call_output',
      call_id: call.callId,
      output: 'Free at 09:00 and 14:00.',
    });
    await simSession.waitForEvent('response.create', 2);
    const types = simSession.events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['conversation.item.create', 'response.create']);
    // Seen in both response.function_call_arguments.done and response.done: reported once.
    expect(r.toolCalls).toHaveLength(1);
    expect(sim.violations).toEqual([]);
  });

  it('tells the model when a tool failed', async () => {
    const { r, session, simSession } = await startReady();

    const output = simSession.functionCall('end_call', {});
    await waitUntil(() => r.toolCalls.length === 1, 'tool call');
    session.sendToolResult(r.toolCalls[0]!.callId, { ok: false, text: 'Calendar unavailable.' });

    expect((await output).output).toMatch(/^Error: .*Calendar unavailable\.$/);
  });

  it('reports caller and agent transcripts', async () => {
    const { r, simSession } = await startReady();

    simSession.callerTranscript('I would like to book a cleaning.');
    await simSession.respond({
      text: 'Sure, which day suits you?',
      audio: loadClip('agent-greeting').subarray(0, 800),
    });
    await waitUntil(() => r.transcripts.length === 2, 'transcripts');

    expect(r.transcripts).toEqual([
      { role: 'caller', text: 'I would like to book a cleaning.' },
      { role: 'agent', text: 'Sure, which day suits you?', itemId: expect.any(String) },
    ]);
  });

  it('logs a server error with the callSid and keeps the session up', async () => {
    const errorLog = jest.spyOn(Logger.prototype, 'error');
    const { r, session, simSession } = await startReady();
    const { itemId } = await simSession.respond({
      text: 'Hi.',
      audio: loadClip('agent-greeting').subarray(0, 800),
    });

    // 100 ms were sent; truncating at 500 ms is the classic "already shorter" error.
    session.truncate(itemId, 500);
    await waitUntil(() => errorLog.mock.calls.length > 0, 'error log');

    const { message, details, callSid } = logEntries(errorLog)[0]!;
    expect(message).toBe('OpenAI Realtime error');
    expect(details).toMatchObject({ message: 'Audio content of 100ms is already shorter than 500ms' });
    expect(callSid).toBe(CALL_SID);
    session.sendCallerAudio('//////////8=');
    await simSession.waitForEvent('input_audio_buffer.append');
    expect(r.ended).toEqual([]);
  });

  it('reports a server close after ready as ended', async () => {
    const { r, simSession } = await startReady();

    simSession.close(1011, 'server error');
    await waitUntil(() => r.ended.length === 1, 'ended');

    expect(r.ended).toEqual([{ kind: 'engine-closed', code: 1011, detail: 'server error' }]);
  });

  it('close() closes with 1000, is idempotent, and silences the listener', async () => {
    const { r, session, simSession } = await startReady();
    const response = simSession.respond({ text: 'A long answer.', audio: loadClip('agent-confirm') });
    await waitUntil(() => r.audio.length >= 1, 'agent audio');

    session.close();
    session.close();
    const audioAtClose = r.audio.length;

    expect((await simSession.closed).code).toBe(1000);
    await response;
    expect(r.audio.length).toBe(audioAtClose);
    expect(r.ended).toEqual([]);
    session.sendCallerAudio('//////////8=');
    session.truncate('item', 10);
  });
});

describe('OpenAI Realtime engine start failures', () => {
  async function expectStartError(promise: Promise<EngineSession>, reason: RegExp) {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineStartError);
    expect((error as EngineStartError).engine).toBe('openai');
    expect((error as EngineStartError).reason).toMatch(reason);
  }

  it('rejects when the socket is refused, leaving no session', async () => {
    const engine = await setUp({ failures: { refuseSocket: true } });
    await expectStartError(
      engine.start(context, recorder().listener, new AbortController().signal),
      /socket/,
    );
    expect(sim.rejectedUpgrades).toHaveLength(1);
    expect(sim.sessions).toHaveLength(0);
  });

  it('rejects when the upgrade is answered with an HTTP error', async () => {
    const engine = await setUp({ failures: { httpStatus: 503 } });
    await expectStartError(engine.start(context, recorder().listener, new AbortController().signal), /503/);
  });

  it('rejects on a wrong API key', async () => {
    const engine = await setUp({}, { apiKey: 'sk-wrong' });
    await expectStartError(engine.start(context, recorder().listener, new AbortController().signal), /401/);
  });

  it('rejects on an error event before ready and closes the socket', async () => {
    const engine = await setUp({ failures: { sessionError: "Invalid value: 'nova'." } });
    await expectStartError(engine.start(context, recorder().listener, new AbortController().signal), /nova/);
    const simSession = await sim.nextSession();
    await simSession.closed;
  });

  it('rejects on abort while session.updated is withheld, and closes the socket', async () => {
    const engine = await setUp({ failures: { withholdSessionUpdated: true } });
    const controller = new AbortController();
    const r = recorder();

    const start = engine.start(context, r.listener, controller.signal);
    const simSession = await sim.nextSession();
    await simSession.waitForEvent('session.update');
    controller.abort();

    await expectStartError(start, /timeout|abort/);
    await simSession.closed;
    expect(r.ended).toEqual([]);
  });

  it('rejects at once on an already aborted signal, without connecting', async () => {
    const engine = await setUp();
    const controller = new AbortController();
    controller.abort();

    await expectStartError(engine.start(context, recorder().listener, controller.signal), /abort/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.sessions).toHaveLength(0);
  });

  it('rejects when the server closes before ready', async () => {
    const engine = await setUp({ failures: { withholdSessionUpdated: true } });
    const start = engine.start(context, recorder().listener, new AbortController().signal);
    const simSession = await sim.nextSession();
    await simSession.waitForEvent('session.update');
    simSession.close(1011);
    await expectStartError(start, /closed before ready.*1011/);
  });

  it('puts the configured model in the URL', async () => {
    const engine = await setUp({}, { model: 'gpt-realtime-mini' });
    const session = await engine.start(context, recorder().listener, new AbortController().signal);
    openSessions.push(session);
    expect((await sim.nextSession()).model).toBe('gpt-realtime-mini');
  });
});

describe('OpenAI Realtime engine under the bridge control', () => {
  it('answers a turn only when asked, and never twice at once', async () => {
    const { session, simSession } = await startReady();
    await simSession.waitForEvent('response.create', 1);
    const speaking = simSession.respond({ text: 'Hello there.', audio: loadClip('agent-greeting') });
    await waitUntil(() => simSession.responding, 'response active');
    // Asked while a response runs: sent once it is done, not on top of it.
    await new Promise((resolve) => setTimeout(resolve, 30));
    session.respond();
    expect(simSession.responseCreates).toBe(1);
    await speaking;
    await simSession.waitForEvent('response.create', 2);
    expect(simSession.errorsSent).toEqual([]);
  });

  it('sends no response.cancel when no response is asked for or running', async () => {
    const { session, simSession } = await startReady({ autoAnswerMs: 10 });
    await greetingAnswered(simSession);
    session.cancelResponse();
    session.sendCallerAudio('//////////8=');
    await simSession.waitForEvent('input_audio_buffer.append');
    expect(simSession.events.filter((e) => e.type === 'response.cancel')).toEqual([]);
    expect(simSession.errorsSent).toEqual([]);
  });

  it('cancels a response asked for but not created yet, as soon as it is created', async () => {
    const { session, simSession } = await startReady({ autoAnswerMs: 100 });
    // The greeting's response.create is out; the caller barges in before its response.created.
    await simSession.waitForEvent('response.create', 1);
    session.cancelResponse();
    const cancel = await simSession.waitForEvent('response.cancel', 1, 3000);
    const created = simSession.sent.find((e) => e.type === 'response.created')!;
    expect(cancel).toEqual({ type: 'response.cancel', response_id: (created.response as { id: string }).id });
    expect(simSession.responseCreates).toBe(1);
  });

  it('asks once per turn: a second respond while one is on its way, or running, adds nothing on top', async () => {
    // The empty answers run long enough that the cancel below still finds one on a loaded machine.
    const { session, simSession } = await startReady({ autoAnswerMs: 200, autoAnswerRunMs: 500 });
    await simSession.waitForEvent('response.create', 1);
    session.respond();
    session.respond();
    await greetingAnswered(simSession);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(simSession.responseCreates).toBe(1);
    // After a barge-in cancelled the requested one, the next turn's answer follows it.
    session.respond();
    await simSession.waitForEvent('response.create', 2);
    session.cancelResponse();
    session.respond();
    await simSession.waitForEvent('response.create', 3, 3000);
    expect(simSession.events.filter((e) => e.type === 'response.cancel')).toHaveLength(1);
    expect(simSession.errorsSent).toEqual([]);
  });

  it('reports the usage of each response.done', async () => {
    const { r, simSession } = await startReady();
    await simSession.respond({ text: 'Hi there.', audio: loadClip('agent-greeting').subarray(0, 8000) });
    await waitUntil(() => r.usage.length === 1, 'usage');
    expect(r.usage[0]).toEqual({
      inputTextTokens: 400,
      inputAudioTokens: 0,
      cachedInputTokens: 200,
      outputTextTokens: 3,
      outputAudioTokens: 20,
    });
  });

  it('passes a system instruction as a system message, without asking for a response', async () => {
    const { session, simSession } = await startReady();
    await simSession.waitForEvent('response.create', 1);
    session.instruct('Wrap up now.');
    const item = await simSession.waitForEvent('conversation.item.create');
    expect(item.item).toEqual({
      type: 'message',
      role: 'system',
      content: [{ type: 'input_text', text: 'Wrap up now.' }],
    });
    expect(simSession.responseCreates).toBe(1);
    expect(sim.violations).toEqual([]);
  });

  it('takes over a call with the conversation so far and opens with the bridging line', async () => {
    const engine = await setUp();
    const session = await engine.start(
      {
        ...context,
        handover: {
          from: 'elevenlabs',
          reason: 'engine-closed (1011)',
          turns: [
            { role: 'agent', text: 'Thanks for calling Harbor Dental.' },
            { role: 'caller', text: 'I need a cleaning on Friday.' },
          ],
          toolResults: [
            { name: 'check_availability', args: { date: '2026-11-27' }, result: 'Free at 09:00.' },
          ],
        },
      },
      recorder().listener,
      new AbortController().signal,
    );
    openSessions.push(session);
    const simSession = await sim.nextSession();
    const instructions = simSession.sessionConfig!.instructions as string;
    expect(instructions).toContain('Caller: "I need a cleaning on Friday."');
    expect(instructions).toContain('check_availability({"date":"2026-11-27"}): Free at 09:00.');
    expect(instructions).toContain('Sorry, I lost you for a second');
    expect(instructions).not.toContain('Thanks for calling Harbor Dental. How can I help');
  });

  it('drops malformed events, logging once per call, and keeps passing audio', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const engine = await setUp();
    const r = recorder();
    const session = await engine.start(context, r.listener, new AbortController().signal);
    openSessions.push(session);
    const simSession = await sim.nextSession();
    // A delta that would break Twilio's JSON, then a frame that is not JSON, then a good delta.
    simSession.sendRaw('{"type":"response.output_audio.delta","item_id":"i","delta":"A\\"}"}');
    simSession.sendRaw('{not json');
    simSession.sendRaw('{"type":"response.output_audio.delta","item_id":"i","delta":"AAAA"}');
    await waitUntil(() => r.audio.length > 0, 'the good delta');
    const malformed = logEntries(warn).filter(({ message }) => message.includes('malformed'));
    expect(malformed).toHaveLength(1);
    expect(malformed[0]!.details).toMatchObject({ problem: 'audio delta is not base64' });
    expect(r.audio).toEqual([{ payload: 'AAAA', itemId: 'i' }]);
  });
});

describe('OpenAI Realtime engine: a frozen engine is an engine that dropped', () => {
  const fast = { pingIntervalMs: 40, stallAfterMs: 150, responseTimeoutMs: 300 };
  // The response tests judge only the response timer: a keepalive limit this short would also trip
  // on a loaded machine whose event loop stalls for a moment (as CI's does), so theirs is generous.
  const responseOnly = { ...fast, stallAfterMs: 5000 };

  /** A ready session that asks for a response after the greeting; the next `failures` responses fail `how`. */
  async function askWithFailingResponses(failures: number, how: 'failed' | 'error') {
    const started = await startReady({ autoAnswerMs: 10 }, responseOnly);
    await greetingAnswered(started.simSession);
    started.simSession.failResponses(failures, how);
    started.session.respond();
    return started;
  }

  it('pings the server, and stays up while it answers', async () => {
    const { r, simSession } = await startReady({ autoAnswerMs: 10 }, fast);
    const pings: number[] = [];
    // The server side of the socket sees our pings (ws answers them with pongs by itself).
    (simSession as unknown as { ws: { on(e: string, f: () => void): void } }).ws.on('ping', () =>
      pings.push(Date.now()),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pings.length).toBeGreaterThanOrEqual(4);
    expect(r.ended).toEqual([]);
  });

  it('reports a server that stops answering pings as stalled (keepalive) and drops its socket', async () => {
    const { r, simSession } = await startReady({ autoAnswerMs: 10 }, fast);
    await greetingAnswered(simSession);
    await expectKeepaliveStallAfterHang(r, () => simSession.hang(), fast, /^no pong or event for \d+ ms$/);
  });

  it('judges silence three times as leniently until a pong shows the server answers pings', async () => {
    const { r } = await startReady({ autoAnswerMs: 10, failures: { ignorePings: true } }, fast);
    await expectLenientKeepaliveUntilPong(r, fast);
  });

  it('reports a response.create that gets no response.created as stalled (response)', async () => {
    const { r, simSession } = await startReady({ failures: { withholdResponses: true } }, responseOnly);
    await simSession.waitForEvent('response.create', 1);
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended).toEqual([
      {
        kind: 'engine-stalled',
        stall: 'response',
        detail: `no response.created within ${fast.responseTimeoutMs} ms of response.create`,
      },
    ]);
    await simSession.closed;
  });

  it('reports a response that is created and then sends nothing as stalled (response)', async () => {
    const { r, simSession } = await startReady({ failures: { withholdResponses: true } }, responseOnly);
    await simSession.waitForEvent('response.create', 1);
    simSession.sendRaw(
      JSON.stringify({
        type: 'response.created',
        event_id: 'event_x',
        response: { id: 'resp_frozen', object: 'realtime.response', status: 'in_progress', output: [] },
      }),
    );
    await waitUntil(() => r.ended.length === 1, 'stalled', 2000);
    expect(r.ended).toEqual([
      {
        kind: 'engine-stalled',
        stall: 'response',
        detail: `response resp_frozen sent nothing for ${fast.responseTimeoutMs} ms`,
      },
    ]);
  });

  it('keeps a slow but speaking response alive: each output gives it the full timeout again', async () => {
    // 4 s of audio at real time: 10 × the response timeout, each delta well within it.
    const { r, simSession } = await startReady(
      { autoAnswerMs: 10, audioSpeedup: 1, audioChunkBytes: 800 },
      {
        ...responseOnly,
        responseTimeoutMs: 250,
      },
    );
    await simSession.respond({ text: 'A slow one.', audio: Buffer.alloc(8000, 0x55) });
    expect(r.ended).toEqual([]);
  });

  it.each(['failed', 'error'] as const)(
    'retries a %s response once and carries on when the retry answers',
    async (how) => {
      const { r, simSession } = await askWithFailingResponses(1, how);
      await simSession.waitForEvent('response.create', 3, 2000);
      await waitUntil(
        () => simSession.sent.filter((e) => e.type === 'response.done').length >= (how === 'failed' ? 3 : 2),
        'the retry answered',
      );
      await new Promise((resolve) => setTimeout(resolve, fast.responseTimeoutMs + 50));
      expect(r.ended).toEqual([]);
      expect(simSession.responseCreates).toBe(3);
    },
  );

  it.each(['failed', 'error'] as const)(
    'gives the engine up when a %s response fails again on the retry',
    async (how) => {
      const { r, simSession } = await askWithFailingResponses(2, how);
      await waitUntil(() => r.ended.length === 1, 'given up', 2000);
      expect(r.ended).toEqual([
        { kind: 'engine-error', detail: expect.stringMatching(/server_error.*\(after 2 attempts\)$/) },
      ]);
      expect(simSession.responseCreates).toBe(3);
      expect((await simSession.closed).code).toBe(1000);
    },
  );

  it('an error about another client event is no failed response (the session goes on)', async () => {
    const { r, session, simSession } = await startReady({ autoAnswerMs: 10 }, responseOnly);
    await greetingAnswered(simSession);
    session.truncate('item_unknown', 100); // "Only model output audio messages can be truncated"
    session.respond();
    await simSession.waitForEvent('response.create', 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(simSession.errorsSent).toHaveLength(1);
    expect(simSession.responseCreates).toBe(2);
    expect(r.ended).toEqual([]);
  });
});
