/**
 * MAX_CALL_SECONDS through the local stack on both engines: the agent is told to wrap up before the
 * limit (ElevenLabs: a contextual update; OpenAI: a system message), and at the limit the bridge
 * hangs up through Twilio's REST API after the goodbye, so the apology after `<Connect>` never plays.
 */
import { ENGINE_NAMES } from '../../services/core/shared/engines';
import { eventually } from '../support/wait-until';
import { harnessForSuite } from './harness';

const LIMIT_SECONDS = 6;
/** The notice is due before the limit; how long it takes on a loaded machine is not under test. */
const NOTICE_WAIT_MS = (LIMIT_SECONDS + 10) * 1000;

describe.each(ENGINE_NAMES)('MAX_CALL_SECONDS on %s', (engine) => {
  const harness = harnessForSuite({ provider: engine, env: { MAX_CALL_SECONDS: String(LIMIT_SECONDS) } });

  it('tells the agent to wrap up, then hangs up through Twilio after the goodbye', async () => {
    const { callSid } = await harness.call();
    const startedAt = Date.now();
    if (engine === 'elevenlabs') {
      const conversation = await harness.elevenlabs.nextConversation(5000);
      await eventually(
        () => conversation.receivedOfType('contextual_update').map((m) => String(m.text)),
        (texts) => texts.some((text) => /time limit/.test(text)),
        NOTICE_WAIT_MS,
      );
    } else {
      const session = await harness.openai.nextSession(5000);
      const item = JSON.stringify(await session.waitForEvent('conversation.item.create', 1, NOTICE_WAIT_MS));
      expect(item).toMatch(/"role":"system"/);
      expect(item).toMatch(/time limit/);
    }
    const hangUp = await eventually(
      () =>
        harness.twilioRest.requests.find(
          (r) => r.callSid === callSid && r.method === 'POST' && r.form.Status === 'completed',
        ),
      (request) => request !== undefined,
      (LIMIT_SECONDS + 10) * 1000,
    );
    expect(hangUp).toBeDefined();
    // Never before the limit (the bridge also waits for the agent to finish speaking).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(LIMIT_SECONDS * 1000 - 1000);
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
      5000,
    );
    expect(record?.session.endReason).toBe('max-call-duration');
    // A redirect would be a transfer; only the hang-up went to Twilio for this call.
    expect(harness.twilioRest.requests.filter((r) => r.callSid === callSid && r.form.Twiml)).toEqual([]);
  }, 60_000); // its waits are generous on purpose: the limit is under test, the machine's speed is not
});
