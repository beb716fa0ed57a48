/**
 * The business side of a call through the local stack, on both engines: the owner's profile (a
 * file here, an SSM parameter in AWS) reaches the engine, and the owner's email about the call
 * carries its estimated cost. On ElevenLabs, the signed post-call webhook's data collection becomes
 * the CRM lead the call's tools did not record.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { describeCost } from '../../services/core/after-call/call-cost';
import { type BusinessProfile, renderBusinessProfile } from '../../services/core/shared/business-profile';
import type { EngineName } from '../../services/core/shared/engines';
import { loadClip } from '../../services/local/sim/audio';
import type { TwilioCallStream } from '../../services/local/sim/twilio-caller';
import { eventually } from '../support/wait-until';
import { readyCall } from './engine-driver';
import { type Harness, harnessForSuite, OWNER_EMAIL, postCallBody, startHarness } from './harness';

const CALLER = '+15551238888';
/** These tests are about what the engine is given, not failover: a connect bound a loaded CI box meets. */
const LOADED_MACHINE_CONNECT_MS = '6000';
const PROFILE: BusinessProfile = {
  about: 'Emergency and planned plumbing for homes.',
  services: [{ name: 'Drain cleaning', price: '$150 flat' }],
  address: '12 Pipe Lane, Springfield',
  policies: [],
  faqs: [{ question: 'Do you work weekends?', answer: 'Saturdays only, 8 to 2.' }],
};

/** What the engine was told about the business: ElevenLabs' dynamic variable, OpenAI's instructions. */
function givenToEngine(harness: Harness, engine: EngineName): string {
  if (engine === 'elevenlabs')
    return String(harness.elevenlabs.conversations.at(-1)?.dynamicVariables.business_profile ?? '');
  const update = harness.openai.sessions.at(-1)?.events.find((e) => e.type === 'session.update');
  return String((update?.session as { instructions?: string } | undefined)?.instructions ?? '');
}

/** Once the call's two turns are stored, the caller hangs up; resolves when the session has ended. */
async function hangUpAfterTurns(harness: Harness, callSid: string, stream: TwilioCallStream): Promise<void> {
  const record = () => harness.stack.sessions.get(callSid);
  await eventually(record, (r) => (r?.turns.length ?? 0) >= 2);
  await stream.hangUp();
  await eventually(record, (r) => r?.session.status === 'ended');
}

describe.each<EngineName>(['elevenlabs', 'openai'])('the business side on %s', (engine) => {
  let harness: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'profile-'));
    const file = join(dir, 'business-profile.json');
    await writeFile(file, JSON.stringify(PROFILE));
    harness = await startHarness({
      provider: engine,
      tools: 'real',
      env: { BUSINESS_PROFILE_FILE: file, ENGINE_CONNECT_TIMEOUT_MS: LOADED_MACHINE_CONNECT_MS },
    });
  });
  afterAll(async () => {
    await harness.close();
    await rm(dir, { recursive: true });
  });

  it("gives the engine the owner's profile, and the owner's email carries the call's estimated cost", async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine, { from: CALLER });
    expect(givenToEngine(harness, engine)).toContain(renderBusinessProfile(PROFILE));

    const hello = loadClip('caller-hello');
    await stream.sendAudio(hello, { paced: false });
    await driver.waitForCallerBytes(hello.length);
    driver.transcripts('How much is it to clear a drain?', 'Drain cleaning is $150 flat.');
    await hangUpAfterTurns(harness, callSid, stream);
    const answered = await harness.statusCallback({
      callSid,
      from: CALLER,
      callStatus: 'completed',
      callDurationSeconds: 42,
    });
    expect(answered.status).toBe(200);

    const [row] = await harness.app.adapters.crm.callsBetween(Date.now() - 3_600_000, Date.now() + 60_000);
    expect(row?.cost?.engines.map((e) => e.engine)).toEqual([engine]);
    expect(row?.cost?.twilio).toEqual({ minutes: 1, amount: 0.0085 });
    const mail = (await OutboxMailer.read(harness.stack.config.localOutboxDir)).filter(
      (m) => m.to === OWNER_EMAIL,
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]?.text).toContain(`Estimated cost: ${describeCost(row!.cost!)}`);
    expect(mail[0]?.text).toContain('Agent: Drain cleaning is $150 flat.');
  });
});

describe('ElevenLabs data collection through the local stack', () => {
  const harness = harnessForSuite({
    provider: 'elevenlabs',
    tools: 'real',
    env: { ENGINE_CONNECT_TIMEOUT_MS: LOADED_MACHINE_CONNECT_MS },
  });

  it("fills the CRM lead from the signed post-call webhook when the call's tools saved none", async () => {
    const caller = '+15551238899';
    const { callSid, stream, driver } = await readyCall(harness, 'elevenlabs', { from: caller });
    driver.transcripts(
      'Hi, it is Grace, I want a quote for a new boiler.',
      'I will have the owner call you back.',
    );
    await hangUpAfterTurns(harness, callSid, stream);
    expect(
      (
        await harness.statusCallback({
          callSid,
          from: caller,
          callStatus: 'completed',
          callDurationSeconds: 30,
        })
      ).status,
    ).toBe(200);

    // The webhook is matched on the conversation id the bridge recorded when the call started.
    const conversationId = (await harness.stack.sessions.get(callSid))?.session.conversationId;
    expect(conversationId).toBeDefined();
    const body = postCallBody(callSid, {
      agent_id: 'agent',
      conversation_id: conversationId,
      status: 'done',
      analysis: {
        data_collection_results: {
          caller_name: {
            data_collection_id: 'caller_name',
            value: 'Grace Hopper',
            rationale: 'said her name',
          },
          caller_email: { data_collection_id: 'caller_email', value: 'grace@example.com', rationale: null },
          caller_interest: {
            data_collection_id: 'caller_interest',
            value: 'new boiler quote',
            rationale: null,
          },
        },
        call_successful: 'success',
        transcript_summary: 'Grace wants a quote for a new boiler.',
      },
    });
    const answer = await harness.postCall(body);
    expect(answer.status).toBe(200);

    const leads = await harness.app.adapters.crm.leadsBetween(Date.now() - 3_600_000, Date.now() + 60_000);
    expect(leads).toEqual([
      expect.objectContaining({
        callSid,
        name: 'Grace Hopper',
        email: 'grace@example.com',
        interest: 'new boiler quote',
        phone: caller,
      }),
    ]);
    const [row] = await harness.app.adapters.crm.callsBetween(Date.now() - 3_600_000, Date.now() + 60_000);
    expect(row).toMatchObject({ leadId: leads[0]?.id, summary: 'Grace wants a quote for a new boiler.' });
  });
});
