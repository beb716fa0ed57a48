/**
 * Call recordings through the local stack, on both engines: RECORD_CALLS=on makes the first message
 * say the call is recorded and leaves one stereo WAV per call in LOCAL_RECORDINGS_DIR (caller left,
 * agent right, both sounding, about as long as the call), which the CRM row and the owner email link
 * and the calls page plays; RECORD_CALLS=off leaves no file and no disclosure.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { RECORDING_DISCLOSURE } from '../../services/core/call/persona';
import { channelLevelDbfs, parseWavHeader } from '../../services/core/call/recording';
import type { EngineName } from '../../services/core/shared/engines';
import { loadClip, silence } from '../../services/local/sim/audio';
import { eventually } from '../support/wait-until';
import { callThatSaidHello } from './engine-driver';
import { type Harness, OWNER_EMAIL, startHarness, statusCallback, turnsStored } from './harness';

const CALLER = '+15551238888';
const WAIT_MS = 8000;

/** What the engine was told to say first: ElevenLabs' `first_message`, OpenAI's instructions. */
function firstWords(harness: Harness, engine: EngineName): string {
  if (engine === 'elevenlabs')
    return String(harness.elevenlabs.conversations.at(-1)?.dynamicVariables.first_message ?? '');
  const update = harness.openai.sessions.at(-1)?.events.find((e) => e.type === 'session.update');
  return String((update?.session as { instructions?: string } | undefined)?.instructions ?? '');
}

/**
 * The caller says hello (1.4 s), the agent answers, the caller listens in silence for 3 s and hangs
 * up; Twilio's status callback finalises the call. Resolves with the call's sid once it is
 * finalised, and how long the call lasted by Twilio's clock.
 */
async function recordedCall(
  harness: Harness,
  engine: EngineName,
): Promise<{ callSid: string; callMs: number }> {
  const { callSid, stream, driver } = await callThatSaidHello(harness, engine, CALLER);
  const answer = loadClip('agent-greeting');
  await driver.speak(answer, 'Thanks for calling. How can I help?');
  await stream.waitForAudio(answer.length, WAIT_MS);
  const listenMs = 3000;
  await stream.sendAudio(silence(listenMs), { paced: false });
  driver.transcripts('Hello there.', 'Thanks for calling. How can I help?');
  await turnsStored(harness, callSid, 2, WAIT_MS);
  // The call lasts as long as Twilio's clock ran (waits between the sends count, as on a real line).
  const callMs = stream.mediaClockMs;
  await stream.hangUp();
  const finalised = await statusCallback(harness, { callSid, from: CALLER, callStatus: 'completed' });
  expect(finalised.status).toBe(200);
  await eventually(
    () => harness.stack.sessions.get(callSid),
    (r) => r?.session.status === 'finalised',
    WAIT_MS,
  );
  expect(callMs).toBeGreaterThanOrEqual(loadClip('caller-hello').length / 8 + listenMs);
  return { callSid, callMs };
}

describe.each<EngineName>(['elevenlabs', 'openai'])('recordings on (%s)', (engine) => {
  let harness: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bolt-recordings-'));
    harness = await startHarness({
      provider: engine,
      env: { RECORD_CALLS: 'on', LOCAL_RECORDINGS_DIR: dir },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('discloses the recording first and writes a stereo WAV with both channels sounding, as long as the call', async () => {
    const { callSid, callMs } = await recordedCall(harness, engine);
    expect(firstWords(harness, engine)).toContain(RECORDING_DISCLOSURE);

    const file = await readFile(join(dir, `${callSid}.wav`));
    const header = parseWavHeader(file);
    expect(header).toMatchObject({ format: 1, channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(header.dataBytes).toBe(file.length - 44);
    const seconds = header.dataBytes / (8000 * 4);
    expect(seconds).toBeGreaterThan(callMs / 1000 - 0.5);
    expect(seconds).toBeLessThan(callMs / 1000 + 0.5);
    const levels = { caller: channelLevelDbfs(file, 0), agent: channelLevelDbfs(file, 1) };
    expect(levels.caller).toBeGreaterThan(-45);
    expect(levels.agent).toBeGreaterThan(-45);

    const record = await harness.stack.sessions.get(callSid);
    expect(record?.session.recording).toMatchObject({
      status: 'saved',
      key: `${callSid}.wav`,
      bytes: file.length,
    });
    const [row] = (await harness.app.adapters.crm.callsBetween(0, Date.now() + 60_000)).filter(
      (c) => c.callSid === callSid,
    );
    const link = `${harness.stack.config.publicUrl}/calls/${callSid}/recording.wav`;
    expect(row?.recording).toEqual({ status: 'recorded', url: link });
    const mail = (await OutboxMailer.read(harness.stack.config.localOutboxDir)).find(
      (m) => m.to === OWNER_EMAIL && m.text.includes(callSid),
    );
    expect(mail?.text).toContain(link);

    // The calls page plays it.
    const opened = await fetch(harness.app.pageLink('/calls'), { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await (await fetch(`${harness.stack.url}/calls/${callSid}`, { headers: { cookie } })).text();
    expect(page).toContain(`<audio controls preload="metadata" src="/calls/${callSid}/recording.wav">`);
    const wav = await fetch(`${harness.stack.url}/calls/${callSid}/recording.wav`, { headers: { cookie } });
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await wav.arrayBuffer()).equals(file)).toBe(true);
    // Without the page key, no recording.
    expect((await fetch(`${harness.stack.url}/calls/${callSid}/recording.wav`)).status).toBe(403);
  });
});

describe('recordings off (the default)', () => {
  let harness: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'bolt-recordings-off-')), 'recordings');
    harness = await startHarness({ env: { LOCAL_RECORDINGS_DIR: dir } });
  });
  afterAll(async () => {
    await harness?.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('leaves no file, says nothing about recording, and the row has no recording', async () => {
    const { callSid } = await recordedCall(harness, 'elevenlabs');
    expect(firstWords(harness, 'elevenlabs')).not.toContain('recorded');
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    expect((await harness.stack.sessions.get(callSid))?.session.recording).toBeUndefined();
    const [row] = (await harness.app.adapters.crm.callsBetween(0, Date.now() + 60_000)).filter(
      (c) => c.callSid === callSid,
    );
    expect(row).toBeDefined();
    expect(row?.recording).toBeUndefined();
  });
});
