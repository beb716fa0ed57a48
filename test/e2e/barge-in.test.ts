import { loadClip } from '../../services/local/sim/audio';
import { eventually } from '../support/wait-until';
import { harnessForSuite } from './harness';

const backchannel = loadClip('caller-backchannel');
const interruption = loadClip('caller-hello');
const longReply = Buffer.concat([loadClip('agent-confirm'), loadClip('agent-greeting')]);
const LONG_TEXT =
  'You are booked for tomorrow at three PM and I have sent a confirmation to your email. ' +
  'Thanks for calling Bolt, how else can I help you today?';
const report = (line: string) => {
  if (process.env.REPORT_TIMINGS) process.stdout.write(`${line}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('backchannel-proof barge-in on OpenAI (the bridge decides)', () => {
  // Agent audio at 4× real time, as the API streams it; the caller speaks in real time.
  const harness = harnessForSuite({ provider: 'openai', openai: { audioSpeedup: 4 } });
  afterEach(() => expect(harness.openai.violations).toEqual([]));

  /** A call whose agent has begun the long reply: the caller has heard its first second. */
  async function agentSpeakingTheLongReply() {
    const { callSid, stream } = await harness.call();
    const session = await harness.openai.nextSession(5000);
    await session.waitForEvent('response.create', 1, 5000);
    const speaking = session.respond({ text: LONG_TEXT, audio: longReply });
    await stream.waitForAudio(8000, 5000);
    return { callSid, stream, session, speaking };
  }

  it('lets "hmm. okay." pass: the agent pauses, then resumes where it paused; no cancel, no truncate, no reply', async () => {
    const { callSid, stream, session, speaking } = await agentSpeakingTheLongReply();

    const saying = stream.sendAudio(backchannel, { paced: true });
    await sleep(150); // the server's VAD hears speech a moment after it starts
    session.speechStarted();
    await saying;
    session.callerTranscript('Hmm. Okay.');
    const outcome = await speaking;
    await sleep(500);

    expect(outcome.status).toBe('completed');
    // One pause (a clear), then the held audio played: the whole answer is heard.
    expect(stream.clears).toBe(1);
    const sent = session.events.map((e) => e.type);
    expect(sent).not.toContain('response.cancel');
    expect(sent).not.toContain('conversation.item.truncate');
    // Only the greeting's response.create: the backchannel left no reply queued.
    expect(session.responseCreates).toBe(1);
    await stream.waitForAudio(longReply.length, 10_000);
    const record = await harness.stack.sessions.get(callSid);
    expect(record?.turns.find((t) => t.role === 'agent')).toMatchObject({ text: LONG_TEXT });
    expect(record?.turns.find((t) => t.role === 'agent')?.interrupted).toBeUndefined();
    await stream.hangUp();
  });

  it('stops the agent on a real interruption: cancel, clear, truncate at what was played; the transcript keeps the words heard', async () => {
    const { callSid, stream, session, speaking } = await agentSpeakingTheLongReply();

    const speechStart = Date.now();
    const saying = stream.sendAudio(interruption, { paced: true });
    await sleep(150);
    session.speechStarted();
    // interrupt_response is off: the server keeps speaking until the bridge decides.
    expect(session.responding).toBe(true);
    await stream.waitForClear(5000);
    const clearMs = Date.now() - speechStart;
    const cancel = await session.waitForEvent('response.cancel', 1, 5000);
    const truncate = (await session.waitForEvent('conversation.item.truncate', 1, 5000)) as {
      item_id: string;
      audio_end_ms: number;
    };
    const outcome = await speaking;
    report(`barge-in: caller speech start -> Twilio clear (the agent paused) ${clearMs} ms`);
    expect(cancel).toBeDefined();
    expect(outcome.status).toBe('cancelled');
    expect(truncate.item_id).toBe(outcome.itemId);
    expect(truncate.audio_end_ms).toBeGreaterThan(0);
    expect(truncate.audio_end_ms).toBeLessThanOrEqual(Math.floor(stream.receivedBytes / 8));
    expect(session.errorsSent).toEqual([]);

    // The caller's turn ends: the bridge asks for the answer.
    await saying;
    session.callerTranscript('Hi, I am calling about your A I receptionist service.');
    await session.waitForEvent('response.create', 2, 5000);

    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.turns.some((t) => t.role === 'agent' && t.interrupted === true) === true,
    );
    const agent = record!.turns.find((t) => t.role === 'agent')!;
    expect(agent.interrupted).toBe(true);
    expect(agent.text.length).toBeLessThan(LONG_TEXT.length);
    expect(LONG_TEXT.startsWith(agent.text.replace(/ —$/, ''))).toBe(true);
    await stream.hangUp();
  });
});

describe('barge-in on ElevenLabs (its turn-taking decides)', () => {
  const harness = harnessForSuite({ provider: 'elevenlabs' });
  afterEach(() => expect(harness.elevenlabs.violations).toEqual([]));

  it('a backchannel the engine lets pass changes nothing; an interruption clears, and its correction replaces the reply', async () => {
    const { callSid, stream } = await harness.call();
    const conversation = await harness.elevenlabs.nextConversation(5000);
    await conversation.ping();
    conversation.agentResponse(LONG_TEXT);
    conversation.sendAudio(longReply);
    await stream.waitForAudio(8000, 5000);

    await stream.sendAudio(backchannel, { paced: true });
    expect(stream.clears).toBe(0);

    const heard = 'You are booked for tomorrow at three PM';
    const speechStart = Date.now();
    const saying = stream.sendAudio(interruption, { paced: true });
    await sleep(300); // ElevenLabs' model decides it is an interruption
    conversation.interrupt();
    conversation.correctAgentResponse(LONG_TEXT, heard);
    await stream.waitForClear(5000);
    report(`barge-in (ElevenLabs): interruption event -> Twilio clear ${Date.now() - speechStart - 300} ms`);
    await saying;
    conversation.userTranscript('Hi, I am calling about your A I receptionist service.');

    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.turns.some((t) => t.role === 'caller') === true,
    );
    expect(record?.turns.map((t) => [t.role, t.text, t.interrupted])).toEqual([
      ['agent', heard, true],
      ['caller', 'Hi, I am calling about your A I receptionist service.', undefined],
    ]);
    await stream.hangUp();
  });
});
