import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * Whole calls through the local stack on both engines (every tool, limits reached,
 * refusals, an outbound call answered by a person and by a machine, the status callback and the
 * ElevenLabs post-call webhook), with every log line captured at DEBUG, then scanned for every
 * phone number, email address, secret and piece of caller free text the test used.
 */
import { DateTime } from 'luxon';
import type { EngineName } from '../../services/core/shared/engines';
import { logger, redactPersonalData, withMaskedErrors } from '../../services/core/shared/logging';
import { loadClip } from '../../services/local/sim/audio';
import { openStream, placeCall, sendStatusCallback } from '../../services/local/sim/twilio-caller';
import { nextDriver } from '../e2e/engine-driver';
import {
  BUSINESS_NUMBER,
  CALLS_API_KEY,
  ELEVENLABS_KEY,
  type Harness,
  harnessForSuite,
  mediaStreamAddress,
  OPENAI_KEY,
  OWNER_EMAIL,
  PUBLIC_URL,
  postCallBody,
  signedAsTwilio,
  WEBHOOK_SECRET,
} from '../e2e/harness';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';

const TZ = 'America/New_York';
const CALLER = '+12025550143';
const OTHER_PERSON = '+12025550188';
const CALLEE = '+12025550171';
const OWNER_PHONE = '+15550009999';
const CALLER_EMAIL = 'maria.lopez@example.org';
const FRIEND_EMAIL = 'friend.of.maria@example.net';
/** Caller free text: each phrase is said, passed to a tool or summarised, and must never be logged. */
const PHRASES = [
  'zanzibar boiler leak',
  'quokka renovation plans',
  'ptarmigan insurance claim',
  'marmalade callback reason',
  'wombat transfer reason',
  'narwhal goodbye reason',
  'axolotl summary words',
];
const SECRETS = [TEST_AUTH_TOKEN, ELEVENLABS_KEY, OPENAI_KEY, CALLS_API_KEY, WEBHOOK_SECRET];

const lines: string[] = [];
const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
const spies: jest.SpyInstance[] = [];

beforeAll(() => {
  for (const method of methods) {
    spies.push(
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      }),
    );
  }
  logger.setLogLevel('DEBUG');
});
afterAll(() => {
  if (process.env.DUMP_LOG) require('node:fs').writeFileSync(process.env.DUMP_LOG, lines.join('\n'));
  logger.setLogLevel('SILENT');
  for (const spy of spies) spy.mockRestore();
});

const tomorrowAt = (hour: number) =>
  DateTime.now().setZone(TZ).plus({ days: 1 }).set({ hour, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm");

/** The e2e waits allow 8 s: a loaded CI machine finalises a call in seconds, not milliseconds. */
const WAIT_MS = 8000;

function statusCallback(harness: Harness, callSid: string, from: string, to: string) {
  return sendStatusCallback({
    ...signedAsTwilio(harness),
    callSid,
    from,
    to,
    callStatus: 'completed',
    callDurationSeconds: 61,
  });
}

async function inboundCallWithEveryTool(harness: Harness, engine: EngineName): Promise<string[]> {
  const seen: string[] = [];
  const { callSid, stream } = await harness.call({ from: CALLER });
  seen.push(callSid);
  const driver = await nextDriver(harness, engine);
  await driver.ready();
  const hello = loadClip('caller-hello');
  await stream.sendAudio(hello, { paced: false });
  await driver.waitForCallerBytes(hello.length);
  driver.transcripts(`Hi, this is Maria, about the ${PHRASES[0]}. Call me on ${CALLER}.`, 'Happy to help.');
  const tool = (name: string, args: Record<string, unknown>) => driver.toolCall(name, args);
  await tool('check_availability', { date: tomorrowAt(10).slice(0, 10) });
  await tool('book_appointment', {
    start: tomorrowAt(10),
    name: 'Maria Lopez',
    email: CALLER_EMAIL,
    purpose: PHRASES[1],
  });
  await tool('book_appointment', { start: tomorrowAt(11), name: 'Friend', phone: OTHER_PERSON });
  await tool('book_appointment', { start: tomorrowAt(12), name: 'Third' }); // over the limit
  await tool('save_lead', { name: 'Maria Lopez', email: CALLER_EMAIL, notes: PHRASES[2], phone: CALLER });
  await tool('send_follow_up_email', { email: CALLER_EMAIL, topic: PHRASES[1] });
  await tool('send_follow_up_email', { email: FRIEND_EMAIL, topic: PHRASES[2] });
  await tool('send_follow_up_email', { email: 'third@example.com', topic: 'third' }); // over the limit
  await tool('send_follow_up_email', { email: 'not an address', topic: PHRASES[2] }); // invalid
  await tool('schedule_callback', { at: tomorrowAt(14), reason: PHRASES[3] });
  await tool('schedule_callback', { at: tomorrowAt(15), reason: PHRASES[3] }); // over the limit
  await tool('book_appointment', { start: '2099-01-01T10:00', name: 'Far', phone: '+44 20 7946 0123' });
  await tool('end_call', { reason: PHRASES[5] });
  await stream.closed;

  // A second call, transferred.
  const second = await harness.call({ from: CALLER, stirVerstat: null });
  seen.push(second.callSid);
  const driver2 = await nextDriver(harness, engine);
  await driver2.ready();
  await driver2.toolCall('transfer_to_human', { reason: PHRASES[4] });
  await second.stream.closed;
  return seen;
}

describe.each<EngineName>(['elevenlabs', 'openai'])('every log line of whole calls on %s', (engine) => {
  const harness = harnessForSuite({
    provider: engine,
    tools: 'real',
    // A generous engine bound: under a loaded machine a failover would change which engine is scanned.
    env: { BUSINESS_HOURS: 'mon-sun 00:00-24:00', OWNER_PHONE, ENGINE_CONNECT_TIMEOUT_MS: '6000' },
  });

  it('holds no full phone number, email address, secret or caller free text', async () => {
    lines.length = 0;
    await harness.app.adapters.crm.upsertCustomer({
      phone: CALLER,
      name: 'Maria Lopez',
      email: CALLER_EMAIL,
    });
    const [callSid] = await inboundCallWithEveryTool(harness, engine);
    await eventually(
      async () => (await harness.stack.sessions.get(callSid as string))?.session.status,
      (s) => s === 'ended',
      WAIT_MS,
    );

    // After the call: Twilio's status callback finalises it (CRM row + owner email).
    expect((await statusCallback(harness, callSid as string, CALLER, BUSINESS_NUMBER)).status).toBe(200);

    // ElevenLabs' post-call webhook: one for the call, one for a conversation it did not start.
    const conversationId = (await harness.stack.sessions.get(callSid as string))?.session.conversationId;
    for (const id of [conversationId ?? 'conv_none', 'conv_forged']) {
      const body = postCallBody(callSid as string, {
        agent_id: 'agent_test',
        conversation_id: id,
        analysis: { transcript_summary: `${PHRASES[6]} from ${CALLER} (${CALLER_EMAIL})` },
      });
      await harness.postCall(body);
    }

    // Outbound: placed, answered by a person, and refused for a bad or foreign number.
    const post = (body: unknown, key = CALLS_API_KEY) =>
      fetch(`${harness.stack.url}/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const placed = (await (await post({ to: CALLEE, reason: PHRASES[3], name: 'Sam' })).json()) as {
      callSid: string;
      idempotencyKey: string;
    };
    await post({ to: '+442079460123' });
    await post({ to: '+1202555' });
    await post({ to: CALLEE }, 'wrong-key');
    const answer = (callSid: string, key: string, answeredBy: string) =>
      placeCall({
        baseUrl: harness.stack.url,
        publicUrl: PUBLIC_URL,
        path: `/twilio/outbound?requestId=${key}`,
        accountSid: TEST_ACCOUNT_SID,
        authToken: TEST_AUTH_TOKEN,
        from: BUSINESS_NUMBER,
        to: CALLEE,
        callSid,
        direction: 'outbound-api',
        extraParams: { AnsweredBy: answeredBy },
      });
    const answered = await answer(placed.callSid, placed.idempotencyKey, 'human');
    expect(answered.twiml).toBeDefined();
    if (answered.twiml) {
      const stream = await openStream({
        streamUrl: answered.twiml.streamUrl,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid: placed.callSid,
        parameters: answered.twiml.parameters,
        connectTo: mediaStreamAddress(harness.stack),
      });
      await (await nextDriver(harness, engine)).ready();
      await stream.hangUp();
    }
    await statusCallback(harness, placed.callSid, BUSINESS_NUMBER, CALLEE);
    // Another one reaches a machine: a voicemail, and the owner hears about it.
    const machine = (await (await post({ to: CALLEE, reason: PHRASES[3] })).json()) as typeof placed;
    await answer(machine.callSid, machine.idempotencyKey, 'machine_end_beep');
    await statusCallback(harness, machine.callSid, BUSINESS_NUMBER, CALLEE);

    // Forged and malformed webhooks naming real numbers.
    await placeCall({
      ...signedAsTwilio(harness),
      from: CALLER,
      to: BUSINESS_NUMBER,
      signature: 'forged',
    });
    await placeCall({
      ...signedAsTwilio(harness),
      from: CALLER,
      to: BUSINESS_NUMBER,
      callSid: `${CALLER}${CALLER_EMAIL}`,
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last writes log

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(40); // the scan saw the calls, not an empty log
    expect(log).toContain('tool call');
    expect(log).toContain('Tool limit reached');
    const forbidden = [
      ...[CALLER, OTHER_PERSON, CALLEE, OWNER_PHONE, BUSINESS_NUMBER].flatMap((n) => [
        n,
        n.slice(1),
        n.slice(2),
      ]),
      CALLER_EMAIL,
      FRIEND_EMAIL,
      OWNER_EMAIL,
      'third@example.com',
      ...SECRETS,
      ...PHRASES,
      'Maria Lopez',
    ];
    const leaks = forbidden.filter((value) => log.includes(value));
    expect(leaks).toEqual([]);
  }, 60_000);
});

describe('redactPersonalData', () => {
  it('masks numbers and addresses inside any text, and leaves other text alone', () => {
    expect(redactPersonalData('to +12025550143 is not valid; write to a.b@example.com')).toBe(
      'to +120••••••43 is not valid; write to •••@example.com',
    );
    expect(redactPersonalData('CA0123456789abcdef at 2026-11-26T10:00')).toBe(
      'CA0123456789abcdef at 2026-11-26T10:00',
    );
  });

  it.each([
    ['formatted', 'not authorized to call +1 (202) 555-0143.', 'not authorized to call +120••••••43.'],
    ['national', 'call (202) 555-0143 or 202.555.0143', 'call 2025••••43 or 2025••••43'],
    ['without the plus', 'To 12025550143 failed', 'To 1202•••••43 failed'],
    ['abroad, 00 prefix', 'dialled 00442079460123', 'dialled 0044••••••••23'],
    ['URL-encoded', 'To=%2B12025550143&From=%2b442079460123', 'To=+120••••••43&From=+442•••••••23'],
    ['an encoded address', 'email=a.b%40example.com', 'email=•••@example.com'],
  ])('masks a number or address written %s', (_case, text, masked) => {
    expect(redactPersonalData(text)).toBe(masked);
  });

  it('leaves ids, dates, times and request ids alone', () => {
    const text =
      'CA00000000000000000000000000000001 MZ1 2026-11-25T15:10:00.000Z req 123e4567-e89b-12d3-a456-426614174000 took 1234 ms, Twilio 21210';
    expect(redactPersonalData(text)).toBe(text);
  });

  it('masks what a Lambda entry point throws, message and stack, before the runtime logs it', async () => {
    const failing = withMaskedErrors(async () => {
      throw new TypeError('not authorized to call +12025550143');
    });
    const thrown = (await failing().catch((error: unknown) => error)) as Error;
    expect(thrown.name).toBe('TypeError');
    expect(thrown.message).toBe('not authorized to call +120••••••43');
    expect(thrown.stack).not.toContain('2025550143');
    expect(thrown.stack).toContain('at ');
  });

  it('wraps every Lambda entry point, so nothing a function throws reaches the runtime unmasked', () => {
    const dir = join(__dirname, '..', '..', 'functions');
    const entries = readdirSync(dir).filter((file) => file.endsWith('.ts'));
    const unwrapped = entries.filter((file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      return (
        /export const handler\b/.test(source) &&
        !/export const handler[^=]*=\s*withMaskedErrors\(/.test(source)
      );
    });
    expect(entries.length).toBeGreaterThan(5);
    expect(unwrapped).toEqual([]);
  });
});
