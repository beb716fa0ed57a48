import type { EngineName } from '../../services/core/shared/engines';
import { loadClip, silence } from '../../services/local/sim/audio';
import { eventually } from '../support/wait-until';
import { readyCall } from './engine-driver';
import { startHarness } from './harness';

const hello = loadClip('caller-hello');
const greeting = loadClip('agent-greeting');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<EngineName>(['elevenlabs', 'openai'])('the call record on %s', (engine) => {
  it('has the turn latency (caller stops speaking → first agent audio), the engine segment and its usage', async () => {
    const harness = await startHarness({ provider: engine, openai: { audioSpeedup: 10 } });
    try {
      const { callSid, stream, driver } = await readyCall(harness, engine);
      for (let turn = 0; turn < 2; turn++) {
        // The caller speaks, then is silent; the engine ends their turn, then the agent answers.
        await stream.sendAudio(Buffer.concat([hello.subarray(0, 8000), silence(300)]), { paced: true });
        const answered = stream.receivedBytes + greeting.length;
        if (engine === 'openai') {
          const session = harness.openai.sessions.at(-1)!;
          session.speechStarted();
          session.callerTranscript('I have a question.');
          // With create_response off the bridge asks for the answer: that is what the model answers.
          await session.waitForEvent('response.create', turn + 2, 5000);
        } else {
          harness.elevenlabs.conversations.at(-1)!.userTranscript('I have a question.');
        }
        await sleep(200); // the engine thinks
        await driver.speak(greeting, 'Sure, go ahead.');
        await stream.waitForAudio(answered, 5000);
      }
      await sleep(500); // the last response.done (usage) reaches the bridge before the caller hangs up
      await stream.hangUp();
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.status === 'ended' && r.session.turnLatency?.turns === 2,
      );
      const latency = record!.session.turnLatency!;
      // At least the engine's 200 ms (plus the silence before the end of the turn, which a loaded
      // machine may deliver late): measured from the caller's last speech, not from the engine's signal.
      expect(latency.p50Ms).toBeGreaterThanOrEqual(200);
      expect(latency.p90Ms).toBeGreaterThanOrEqual(latency.p50Ms);
      if (process.env.REPORT_TIMINGS)
        process.stdout.write(`turn latency ${engine}: ${JSON.stringify(latency)}\n`);
      const segments = record!.session.engineSegments!;
      expect(segments).toHaveLength(1);
      expect(segments[0]).toMatchObject({ engine });
      expect(segments[0]!.endedAt).toBeGreaterThan(segments[0]!.startedAt);
      if (engine === 'openai') {
        // The sums of every response.done's usage (the simulator's greeting-less driver answered twice).
        expect(segments[0]!.usage).toMatchObject({
          inputTextTokens: 800,
          cachedInputTokens: 400,
          outputAudioTokens: 2 * Math.ceil(greeting.length / 8 / 50),
        });
      } else {
        expect(segments[0]!.usage).toBeUndefined();
      }
    } finally {
      await harness.close();
    }
  });
});
