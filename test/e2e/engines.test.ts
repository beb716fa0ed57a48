import type { StaticProviderFlag } from '../../services/adapters/memory/static-provider-flag';
import type { EngineName } from '../../services/core/shared/engines';
import { loadClip } from '../../services/local/sim/audio';
import type { TwilioCallStream } from '../../services/local/sim/twilio-caller';
import { eventually } from '../support/wait-until';
import { type EngineDriver, nextDriver, readyCall } from './engine-driver';
import { type Harness, harnessForSuite, startHarness } from './harness';

const greeting = loadClip('agent-greeting');
const hello = loadClip('caller-hello');
const decoded = (payloads: string[]) => Buffer.concat(payloads.map((p) => Buffer.from(p, 'base64')));

/**
 * The caller speaks `audio` while the engine `up` connects: it reaches that engine whole and in
 * order once it is ready (no caller audio is lost to a connect or a failover).
 */
async function heardWhileConnecting(
  harness: Harness,
  up: EngineName,
  stream: TwilioCallStream,
  audio: Buffer,
  pacing: { paced: boolean },
): Promise<EngineDriver> {
  const speaking = stream.sendAudio(audio, pacing);
  const driver = await nextDriver(harness, up);
  await driver.ready();
  await speaking;
  await driver.waitForCallerBytes(audio.length);
  expect(decoded(driver.callerPayloads()).subarray(0, audio.length).equals(audio)).toBe(true);
  return driver;
}

describe('ElevenLabs specifics', () => {
  const harness = harnessForSuite({ provider: 'elevenlabs', elevenlabs: { metadataOnConnect: true } });
  afterEach(() => expect(harness.elevenlabs.violations).toEqual([]));

  it('sends the dynamic variables of the call, and answers every ping at once', async () => {
    const { callSid, stream } = await harness.call({ from: '+15551230042' });
    const conversation = await harness.elevenlabs.nextConversation(5000);
    expect(conversation.dynamicVariables).toMatchObject({
      caller_number: '+15551230042',
      call_sid: callSid,
      business_name: 'Bolt Plumbing',
      business_timezone: 'America/New_York',
    });
    expect(conversation.dynamicVariables?.local_time).toMatch(/^\w+day \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    await Promise.all([conversation.ping(), conversation.ping(), conversation.ping()]);
    expect(conversation.pongs).toHaveLength(3);
    await stream.hangUp();
  });

  it('on interruption clears Twilio and drops audio not newer than the interruption', async () => {
    const { stream } = await harness.call();
    const conversation = await harness.elevenlabs.nextConversation(5000);
    await conversation.ping();
    conversation.sendAudio(greeting);
    await stream.waitForAudio(1600, 5000);
    const interruptionId = conversation.interrupt();
    await stream.waitForClear(5000);
    const stale = Buffer.alloc(800, 0x11);
    const fresh = Buffer.alloc(800, 0x22);
    conversation.sendAudioEvent(stale.toString('base64'), interruptionId - 1);
    conversation.sendAudioEvent(stale.toString('base64'), interruptionId);
    conversation.sendAudioEvent(fresh.toString('base64'), interruptionId + 1);
    await eventually(
      () => stream.receivedAudio(),
      (audio) => audio.indexOf(fresh) >= 0,
    );
    const audio = stream.receivedAudio();
    expect(audio.indexOf(stale)).toBe(-1);
    expect(audio.subarray(audio.length - 800).equals(fresh)).toBe(true);
    await stream.hangUp();
  });
});

describe('OpenAI specifics', () => {
  const harness = harnessForSuite({ provider: 'openai', openai: { audioSpeedup: 4 } });
  afterEach(() => expect(harness.openai.violations).toEqual([]));

  it('configures a GA session: μ-law both ways, semantic VAD with low eagerness, the persona and the tools', async () => {
    const { stream } = await harness.call({ from: '+15551230077' });
    const session = await harness.openai.nextSession(5000);
    await session.waitForEvent('response.create', 1, 5000);
    expect(session.headers['openai-beta']).toBeUndefined();
    expect(session.model).toBe('gpt-realtime');
    expect(session.sessionConfig).toMatchObject({
      type: 'realtime',
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'semantic_vad', eagerness: 'low' } },
        output: { format: { type: 'audio/pcmu' } },
      },
    });
    const config = session.sessionConfig as { instructions: string; tools: Array<{ name: string }> };
    expect(config.instructions).toContain('Bolt Plumbing');
    expect(config.instructions).toContain('+15551230077');
    expect(config.tools.map((t) => t.name)).toEqual(['lookup_order']);
    await stream.hangUp();
  });

  it('on barge-in clears Twilio and truncates within the audio the caller could have heard', async () => {
    const { stream } = await harness.call();
    const session = await harness.openai.nextSession(5000);
    await session.waitForEvent('response.create', 1, 5000);
    // Twilio streams caller frames continuously; their timestamps are the clock truncation uses. The
    // caller is quiet until the agent is audible (speech sent earlier could, on a loaded machine, be
    // heard before the agent's audio arrives), then talks over it.
    const quiet = stream.sendSilence(600);
    const speaking = session.respond({ text: 'A long answer', audio: Buffer.concat([greeting, greeting]) });
    await stream.waitForAudio(4000, 5000);
    await quiet;
    const callerFrames = stream.sendAudio(Buffer.concat([hello, hello]), { paced: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.speechStarted();
    await stream.waitForClear(5000);
    const truncate = (await session.waitForEvent('conversation.item.truncate', 1, 5000)) as {
      audio_end_ms: number;
      item_id: string;
    };
    const outcome = await speaking;
    expect(truncate.item_id).toBe(outcome.itemId);
    expect(truncate.audio_end_ms).toBeGreaterThan(0);
    expect(truncate.audio_end_ms).toBeLessThanOrEqual(Math.floor(stream.receivedBytes / 8));
    expect(session.errorsSent).toEqual([]);
    await stream.hangUp();
    await callerFrames.catch(() => undefined);
  });
});

describe.each<[EngineName, EngineName]>([
  ['elevenlabs', 'openai'],
  ['openai', 'elevenlabs'],
])('failover from %s to %s', (down, up) => {
  it('serves the call on the other engine when the chosen one refuses, losing no caller audio', async () => {
    const harness = await startHarness({
      provider: down,
      elevenlabs: down === 'elevenlabs' ? { failures: { signedUrlStatus: 503 } } : {},
      openai: down === 'openai' ? { failures: { refuseSocket: true } } : {},
    });
    try {
      const { callSid, stream } = await harness.call();
      const driver = await heardWhileConnecting(harness, up, stream, hello, { paced: false });
      await driver.speak(greeting);
      await stream.waitForAudio(greeting.length, 5000);
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === up,
      );
      expect(record?.session.provider).toBe(down);
      expect(record?.session.failoverReason).toContain(down);
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  });
});

describe('failover on a silent engine, and when both are down', () => {
  it('fails over when ElevenLabs never sends its metadata within the connect bound', async () => {
    const harness = await startHarness({
      provider: 'elevenlabs',
      elevenlabs: { failures: { withholdMetadata: true } },
      env: { ENGINE_CONNECT_TIMEOUT_MS: '3000' },
    });
    try {
      const { callSid, stream } = await readyCall(harness, 'openai');
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === 'openai',
      );
      expect(record?.session.failoverReason).toMatch(/elevenlabs.*metadata/);
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  });

  it('ends the call politely and records why when no engine can be reached', async () => {
    const harness = await startHarness({
      provider: 'elevenlabs',
      elevenlabs: { failures: { signedUrlStatus: 500 } },
      openai: { failures: { httpStatus: 503 } },
    });
    try {
      const { callSid, stream } = await harness.call();
      await stream.closed;
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.status === 'ended',
      );
      expect(record?.session.endReason).toMatch(/^engine-outage: elevenlabs: .*openai: /);
      // The bridge only closes the stream: the call is still up, so Twilio plays the apology and
      // callback promise that follow <Connect> in the TwiML. Nothing hangs it up first.
      expect(harness.twilioRest.requests).toEqual([]);
    } finally {
      await harness.close();
    }
  });
});

describe('the provider flag', () => {
  it('applies to new calls only: a call in progress keeps its engine', async () => {
    const harness = await startHarness({ provider: 'elevenlabs' });
    try {
      const first = await harness.call();
      const firstDriver = await nextDriver(harness, 'elevenlabs');
      await firstDriver.ready();
      (harness.stack.providerFlag as StaticProviderFlag).set('openai');
      const second = await harness.call();
      const secondDriver = await nextDriver(harness, 'openai');
      await secondDriver.ready();

      await first.stream.sendAudio(Buffer.alloc(320, 0x33), { paced: false });
      await firstDriver.waitForCallerBytes(320);
      const sessions = await Promise.all([first, second].map((c) => harness.stack.sessions.get(c.callSid)));
      expect(sessions.map((s) => [s?.session.provider, s?.session.servedBy])).toEqual([
        ['elevenlabs', 'elevenlabs'],
        ['openai', 'openai'],
      ]);
      await Promise.all([first.stream.hangUp(), second.stream.hangUp()]);
    } finally {
      await harness.close();
    }
  });
});

describe.each<[EngineName, EngineName]>([
  ['elevenlabs', 'openai'],
  ['openai', 'elevenlabs'],
])('mid-call failover from %s to %s', (down, up) => {
  it('hands the conversation over, delivers the caller audio of the gap in order, and records both engines', async () => {
    const harness = await startHarness({ provider: down });
    try {
      const { callSid, stream, driver: first } = await readyCall(harness, down);
      first.transcripts('I need a plumber on Friday.', 'Sure. Can I take your name?');
      await first.toolCall('lookup_order', { id: 'A1' });
      await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => (r?.turns.length ?? 0) >= 2 && (r?.toolCalls.length ?? 0) === 1,
      );

      first.closeFromEngine(1011);
      // The caller goes on talking while the other engine connects: queued, then delivered in order.
      const gapAudio = Buffer.concat([Buffer.alloc(1600, 0x41), Buffer.alloc(1600, 0x42)]);
      const second = await heardWhileConnecting(harness, up, stream, gapAudio, { paced: true });

      // The new engine knows the conversation, what the tools did, and opens with the bridging line.
      if (up === 'elevenlabs') {
        const conversation = harness.elevenlabs.conversations.at(-1)!;
        expect(conversation.dynamicVariables.first_message).toMatch(/^Sorry, I lost you for a second/);
        const [update] = conversation.receivedOfType('contextual_update');
        expect(update?.text).toContain('Caller: "I need a plumber on Friday."');
        expect(update?.text).toContain('lookup_order({"id":"A1"}): Order A1 ships tomorrow.');
      } else {
        const instructions = harness.openai.sessions.at(-1)!.sessionConfig!.instructions as string;
        expect(instructions).toContain('Caller: "I need a plumber on Friday."');
        expect(instructions).toContain('lookup_order({"id":"A1"}): Order A1 ships tomorrow.');
        expect(instructions).toContain('Sorry, I lost you for a second');
      }
      await second.speak(greeting, 'Sorry, I lost you for a second — you were saying?');
      await stream.waitForAudio(greeting.length, 5000);

      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === up && r.session.failoverMs !== undefined,
      );
      expect(record?.session.failoverReason).toMatch(new RegExp(`^${down}: engine-closed \\(1011`));
      expect(record?.session.engineSegments?.map((s) => s.engine)).toEqual([down, up]);
      const [before, after] = record!.session.engineSegments!;
      expect(before!.endedAt).toBeLessThanOrEqual(after!.startedAt);
      expect(record?.session.failoverMs).toBeGreaterThan(0);
      if (process.env.REPORT_TIMINGS) {
        process.stdout.write(`failover gap ${down} -> ${up}: ${record?.session.failoverMs} ms\n`);
      }
      expect(first.violations()).toEqual([]);
      expect(second.violations()).toEqual([]);
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  });
});

describe('mid-call failover with no engine left', () => {
  it('closes the stream (the TwiML apology plays) and records an engine outage', async () => {
    const harness = await startHarness({ provider: 'elevenlabs', openai: { failures: { httpStatus: 503 } } });
    try {
      const { callSid, stream, driver: first } = await readyCall(harness, 'elevenlabs');
      first.closeFromEngine(1011);
      await stream.closed;
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.status === 'ended',
      );
      expect(record?.session.endReason).toMatch(
        /^engine-outage: .*elevenlabs: engine-closed \(1011.*openai: /,
      );
      expect(harness.twilioRest.requests).toEqual([]);
    } finally {
      await harness.close();
    }
  });
});
