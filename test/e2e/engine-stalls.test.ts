import { HOLD_PROMPT_ULAW_BASE64 } from '../../services/bridge/hold-prompt-clip';
import type { EngineName } from '../../services/core/shared/engines';
import { loadClip } from '../../services/local/sim/audio';
import { eventually } from '../support/wait-until';
import { nextDriver, readyCall } from './engine-driver';
import { type Harness, startHarness, turnsStored } from './harness';

/**
 * A frozen engine is an engine that dropped: with the product's default timings, a connected engine
 * that stops answering is failed over within 8 s, and the caller hears the next engine within 10 s.
 */
const greeting = loadClip('agent-greeting');
const FAILED_OVER_WITHIN_MS = 8000;
const AGENT_HEARD_WITHIN_MS = 10_000;

/** Freezes the serving engine's simulated service: it reads and sends nothing more, socket open. */
function freeze(harness: Harness, engine: EngineName): void {
  if (engine === 'elevenlabs') harness.elevenlabs.conversations.at(-1)!.hang();
  else harness.openai.sessions.at(-1)!.hang();
}

describe.each<[EngineName, EngineName]>([
  ['elevenlabs', 'openai'],
  ['openai', 'elevenlabs'],
])('a frozen %s mid-call', (down, up) => {
  it(`is failed over to ${up} within 8 s; the caller hears ${up} within 10 s, and the stall is on record`, async () => {
    const harness = await startHarness({ provider: down });
    try {
      const { callSid, stream, driver: first } = await readyCall(harness, down);
      first.transcripts('I need a plumber on Friday.', 'Sure. Can I take your name?');
      await turnsStored(harness, callSid, 2);

      const frozeAt = Date.now();
      freeze(harness, down);
      // The caller goes on talking into the frozen line.
      const talking = stream.sendAudio(Buffer.alloc(8000, 0x41), { paced: true });
      const second = await nextDriver(harness, up, AGENT_HEARD_WITHIN_MS);
      await second.ready();
      const readyAfterMs = Date.now() - frozeAt;
      // Meanwhile the caller heard "One moment, please.", not silence.
      const holdPrompt = Buffer.from(HOLD_PROMPT_ULAW_BASE64, 'base64');
      await stream.waitForAudio(holdPrompt.length, 2000);
      expect(stream.receivedAudio().indexOf(holdPrompt)).toBeGreaterThanOrEqual(0);
      const before = stream.receivedBytes;
      await second.speak(greeting, 'Sorry, I lost you for a second — you were saying?');
      await stream.waitForAudio(before + greeting.length, AGENT_HEARD_WITHIN_MS);
      const heardAfterMs = Date.now() - frozeAt;
      await talking;

      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === up && r.session.failoverMs !== undefined,
      );
      expect(record?.session.failoverReason).toMatch(
        new RegExp(`^${down}: engine-stalled \\(keepalive\\): no pong or (event|message) for \\d+ ms$`),
      );
      const [, after] = record!.session.engineSegments!;
      expect(after!.startedAt - frozeAt).toBeLessThan(FAILED_OVER_WITHIN_MS);
      expect(readyAfterMs).toBeLessThan(FAILED_OVER_WITHIN_MS);
      expect(heardAfterMs).toBeLessThan(AGENT_HEARD_WITHIN_MS);
      if (process.env.REPORT_TIMINGS) {
        process.stdout.write(
          `frozen ${down}: ${up} ready after ${readyAfterMs} ms, heard after ${heardAfterMs} ms\n`,
        );
      }
      expect(second.violations()).toEqual([]);
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  }, 30_000);
});

describe('an engine that is connected but does not answer', () => {
  it("ElevenLabs sending no agent event after the caller's turn is failed over to OpenAI", async () => {
    const harness = await startHarness({ provider: 'elevenlabs' });
    try {
      const { callSid, stream } = await readyCall(harness, 'elevenlabs');
      const endedTurnAt = Date.now();
      // Its turn-taking ended the caller's turn; its LLM never answers (pings go on).
      harness.elevenlabs.conversations.at(-1)!.userTranscript('Can you hear me?');
      const second = await nextDriver(harness, 'openai', AGENT_HEARD_WITHIN_MS);
      await second.ready();
      expect(Date.now() - endedTurnAt).toBeLessThan(FAILED_OVER_WITHIN_MS);
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === 'openai',
      );
      expect(record?.session.failoverReason).toMatch(
        /^elevenlabs: engine-stalled \(response\): no agent reply within 6000 ms of the caller's turn$/,
      );
      // The handover carries the turn it never answered.
      const instructions = harness.openai.sessions.at(-1)!.sessionConfig!.instructions as string;
      expect(instructions).toContain('Caller: "Can you hear me?"');
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  }, 30_000);

  it('OpenAI whose response fails, and fails again when asked once more, is failed over to ElevenLabs', async () => {
    const harness = await startHarness({ provider: 'openai' });
    try {
      const { callSid, stream, driver: first } = await readyCall(harness, 'openai');
      const session = harness.openai.sessions.at(-1)!;
      // The answer after the tool's result fails twice: the engine asks once more, then gives up.
      session.failResponses(2, 'failed');
      const toolDone = first.toolCall('lookup_order', { id: 'A1' }).catch(() => undefined);
      const second = await nextDriver(harness, 'elevenlabs', AGENT_HEARD_WITHIN_MS);
      await second.ready();
      await toolDone;
      expect(session.responseCreates).toBe(3); // the greeting, the answer, the one retry
      const record = await eventually(
        () => harness.stack.sessions.get(callSid),
        (r) => r?.session.servedBy === 'elevenlabs',
      );
      expect(record?.session.failoverReason).toMatch(
        /^openai: engine-error: response failed: .*server_error.*\(after 2 attempts\)$/,
      );
      // What the tool did travels with the call.
      const [update] = harness.elevenlabs.conversations.at(-1)!.receivedOfType('contextual_update');
      expect(update?.text).toContain('lookup_order({"id":"A1"}): Order A1 ships tomorrow.');
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  }, 30_000);
});
