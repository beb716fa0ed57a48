import type { CallRecord } from '../../services/core/call/call-session';
import type { EngineName } from '../../services/core/shared/engines';
import { loadClip, silence, toFrames } from '../../services/local/sim/audio';
import { openStream, placeCall, StreamRejectedError } from '../../services/local/sim/twilio-caller';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';
import { nextDriver, readyCall } from './engine-driver';
import { BUSINESS_NUMBER, type Harness, harnessForSuite, mediaStreamAddress } from './harness';

const hello = loadClip('caller-hello');
const greeting = loadClip('agent-greeting');

const session = (harness: Harness, callSid: string) => harness.stack.sessions.get(callSid);
const ended = (record: CallRecord | undefined) => record?.session.status === 'ended';

describe.each<EngineName>(['elevenlabs', 'openai'])('the call path on %s', (engine) => {
  const harness = harnessForSuite({ provider: engine });
  afterEach(() => {
    expect(harness.elevenlabs.violations).toEqual([]);
    expect(harness.openai.violations).toEqual([]);
  });

  it('carries audio both ways byte-exact and persists the transcript', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine, { from: '+15551230001' });

    await stream.sendAudio(hello, { paced: false });
    await driver.waitForCallerBytes(hello.length);
    const sentPayloads = toFrames(Buffer.concat([hello, silence(20)]), 160).slice(
      0,
      Math.ceil(hello.length / 160),
    );
    expect(driver.callerPayloads().slice(0, sentPayloads.length - 1)).toEqual(sentPayloads.slice(0, -1));

    await driver.speak(greeting, 'Thanks for calling Bolt.');
    await stream.waitForAudio(greeting.length, 5000);
    expect(stream.receivedAudio().subarray(0, greeting.length).equals(greeting)).toBe(true);

    driver.transcripts('Hi, I am calling about your service.', 'Happy to help.');
    // Wait for the agent's answer itself: the greeting is a turn too, so a count of 2 can be reached first.
    const record = await eventually(
      () => session(harness, callSid),
      (r) => r?.turns.some((t) => t.role === 'agent' && t.text === 'Happy to help.') ?? false,
    );
    expect(record?.session).toMatchObject({ status: 'streaming', provider: engine, servedBy: engine });
    expect(record?.turns.map((t) => [t.role, t.text])).toEqual(
      expect.arrayContaining([
        ['caller', 'Hi, I am calling about your service.'],
        ['agent', 'Happy to help.'],
      ]),
    );
    expect(stream.violations).toEqual([]);
    await stream.hangUp();
    await driver.closed();
  });

  it('runs a tool mid-call and returns the result in the engine protocol', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine);
    const result = await driver.toolCall('lookup_order', { id: 'A17' });
    expect(result).toEqual({ text: 'Order A17 ships tomorrow.', isError: false });
    const failed = await driver.toolCall('unknown_tool', {});
    expect(failed.isError).toBe(true);
    const record = await eventually(
      () => session(harness, callSid),
      (r) => (r?.toolCalls.length ?? 0) === 2,
    );
    expect(record?.toolCalls[0]).toMatchObject({
      name: 'lookup_order',
      args: { id: 'A17' },
      result: { ok: true },
    });
    await stream.hangUp();
  });

  it('ends the engine session when the caller hangs up', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine);
    const hungUpAt = Date.now();
    await stream.hangUp();
    expect((await driver.closed()).code).toBe(1000);
    expect(Date.now() - hungUpAt).toBeLessThan(1000);
    const record = await eventually(() => session(harness, callSid), ended);
    expect(record?.session.endReason).toBe('caller-hung-up');
  });

  it('hangs up through the REST API (no apology) when the engine closes normally after its goodbye', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine);
    await driver.speak(loadClip('agent-greeting').subarray(0, 1600), 'Goodbye!');
    await stream.waitForAudio(1600, 5000);
    driver.closeFromEngine(1000);
    await stream.closed;
    const record = await eventually(() => session(harness, callSid), ended);
    expect(record?.session.endReason).toBe('engine-closed (1000)');
    // Hung up, so Twilio never runs the apology that follows <Connect> in the TwiML.
    expect(harness.twilioRest.requests).toContainEqual(
      expect.objectContaining({ callSid, form: expect.objectContaining({ Status: 'completed' }) }),
    );
  });

  it('keeps 20 simultaneous calls apart', async () => {
    const calls = await Promise.all(Array.from({ length: 20 }, () => harness.call()));
    const drivers = [];
    for (let i = 0; i < calls.length; i++) drivers.push(await nextDriver(harness, engine));
    await Promise.all(drivers.map((d) => d.ready()));
    // Each conversation learns its call from the stream's callSid; pair them through the session store.
    const marker = (i: number) => Buffer.alloc(1600, 0x10 + i);
    await Promise.all(calls.map(({ stream }, i) => stream.sendAudio(marker(i), { paced: false })));
    await Promise.all(drivers.map((d) => d.waitForCallerBytes(1600)));
    const heard = drivers.map((d) => Buffer.from(d.callerPayloads()[0] ?? '', 'base64')[0]);
    expect(new Set(heard).size).toBe(20);

    await Promise.all(drivers.map((d, i) => d.speak(Buffer.alloc(800, 0x80 + i))));
    await Promise.all(calls.map(({ stream }) => stream.waitForAudio(800, 5000)));
    // Agent i's audio reaches exactly one caller, and every caller hears one agent only.
    const received = calls.map(({ stream }) => new Set(stream.receivedAudio()));
    for (const bytes of received) expect(bytes.size).toBe(1);
    expect(new Set(received.map((bytes) => [...bytes][0])).size).toBe(20);
    await Promise.all(calls.map(({ stream }) => stream.hangUp()));
  });

  it('drops malformed frames on one call while another keeps flowing', async () => {
    const bad = await harness.call();
    const badDriver = await nextDriver(harness, engine);
    const good = await harness.call();
    const goodDriver = await nextDriver(harness, engine);
    await Promise.all([badDriver.ready(), goodDriver.ready()]);

    bad.stream.sendRaw('{not json');
    bad.stream.sendRaw(
      JSON.stringify({ event: 'media', streamSid: bad.stream.streamSid, media: { payload: '!!!' } }),
    );
    bad.stream.sendRaw(JSON.stringify({ event: 'wat' }));
    await good.stream.sendAudio(hello, { paced: false });
    await goodDriver.waitForCallerBytes(hello.length);
    // The bad call itself goes on: its next well-formed frame still arrives, and nothing malformed did.
    await bad.stream.sendAudio(Buffer.alloc(320, 0x22), { paced: false });
    await badDriver.waitForCallerBytes(320);
    expect(badDriver.callerPayloads().every((p) => /^[A-Za-z0-9+/]+=*$/.test(p))).toBe(true);
    await Promise.all([bad.stream.hangUp(), good.stream.hangUp()]);
  });
});

describe('stream authentication', () => {
  const harness = harnessForSuite();

  const answer = (
    signature: 'valid' | 'forged' | 'missing',
    callSid: string,
    publicUrl = harness.stack.config.publicUrl,
  ) =>
    placeCall({
      baseUrl: harness.stack.url,
      publicUrl,
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      from: '+15551230009',
      to: BUSINESS_NUMBER,
      callSid,
      signature,
    });

  /** Opens the media stream of `callSid` as Twilio would, with `parameters` and a handshake signature. */
  const stream = (
    callSid: string,
    twiml: { streamUrl: string; parameters: Record<string, string> },
    handshakeSignature: 'valid' | 'forged' | 'missing' = 'valid',
  ) =>
    openStream({
      streamUrl: twiml.streamUrl,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: twiml.parameters,
      connectTo: mediaStreamAddress(harness.stack),
      handshakeSignature,
    });

  it.each([
    ['forged', 'CA00000000000000000000000000000f01', undefined],
    ['missing', 'CA00000000000000000000000000000f02', undefined],
    ['valid', 'CA00000000000000000000000000000f03', 'https://attacker.example.com'],
  ] as const)('answers 403 to a %s signature and creates no session', async (signature, callSid, url) => {
    const response = await answer(signature, callSid, url);
    expect(response.status).toBe(403);
    expect(await session(harness, callSid)).toBeUndefined();
  });

  it('refuses a stream handshake without a valid signature (401)', async () => {
    const callSid = 'CA00000000000000000000000000000f04';
    const ok = await answer('valid', callSid);
    for (const handshakeSignature of ['forged', 'missing'] as const) {
      const attempt = stream(callSid, ok.twiml!, handshakeSignature);
      await expect(attempt).rejects.toBeInstanceOf(StreamRejectedError);
      await expect(attempt).rejects.toMatchObject({ status: 401 });
    }
  });

  it('closes a stream with an unknown or reused token before any engine is reached', async () => {
    const callSid = 'CA00000000000000000000000000000f05';
    const ok = await answer('valid', callSid);
    const requestsBefore = harness.elevenlabs.signedUrlRequests.length;
    const forgedToken = await stream(callSid, {
      ...ok.twiml!,
      parameters: { ...ok.twiml!.parameters, token: 'not-the-token' },
    });
    expect((await forgedToken.closed).code).toBe(1008);

    const first = await stream(callSid, ok.twiml!);
    await harness.elevenlabs.nextConversation(5000);
    const replay = await stream(callSid, ok.twiml!);
    expect((await replay.closed).code).toBe(1008);
    expect(harness.elevenlabs.signedUrlRequests.length).toBe(requestsBefore + 1);
    await first.hangUp();
  });
});
