import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRecordings } from '../../services/adapters/memory/local-recordings';
import { AgentPlayback } from '../../services/bridge/agent-playback';
import { CallRecorder } from '../../services/bridge/call-recorder';
import {
  channelLevelDbfs,
  parseWavHeader,
  RECORDING_FRAME_BYTES,
  ULAW_TO_PCM16,
  WAV_HEADER_BYTES,
} from '../../services/core/call/recording';
import { decodeUlawSample, encodeUlawSample } from '../../services/local/web/mulaw';

const CALL = 'CA0123456789abcdef0123456789abcdef';
const STREAM = 'MZ00000000000000000000000000000000';

/** `ms` of a sine at `hz` and `level` (0..1), as μ-law. */
function tone(ms: number, hz: number, level = 0.5): Buffer {
  const out = Buffer.alloc(ms * 8);
  for (let i = 0; i < out.length; i++)
    out[i] = encodeUlawSample(level * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}
const silenceUlaw = (ms: number) => Buffer.alloc(ms * 8, 0xff);
const frames = (audio: Buffer) => {
  const out: string[] = [];
  for (let i = 0; i < audio.length; i += 160) out.push(audio.subarray(i, i + 160).toString('base64'));
  return out;
};

/** Samples [fromMs, toMs) of one channel of a stereo PCM WAV. */
function channel(file: Buffer, ch: 0 | 1, fromMs: number, toMs: number): Int16Array {
  const out = new Int16Array((toMs - fromMs) * 8);
  for (let i = 0; i < out.length; i++) {
    const at = WAV_HEADER_BYTES + (fromMs * 8 + i) * RECORDING_FRAME_BYTES + ch * 2;
    out[i] = at + 1 < file.length ? file.readInt16LE(at) : 0;
  }
  return out;
}
const peak = (samples: Int16Array) => samples.reduce((max, s) => Math.max(max, Math.abs(s)), 0);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bolt-rec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A recorder over a fake Twilio clock, with the caller's frames sent at 20 ms steps. */
function rig(options: { windowMs?: number } = {}) {
  let mediaMs = 0;
  const errors: unknown[] = [];
  const recorder = new CallRecorder(CALL, new LocalRecordings(dir, 'http://localhost:3000'), {
    mediaMs: () => mediaMs,
    log: { error: (...args: unknown[]) => errors.push(args) },
    windowMs: options.windowMs,
  });
  /** The caller's side from `fromMs`: one frame each 20 ms, Twilio's clock following. */
  const callerSays = (audio: Buffer, fromMs: number) => {
    frames(audio).forEach((payload, i) => {
      mediaMs = fromMs + i * 20;
      recorder.callerAudio(payload, mediaMs);
    });
  };
  return { recorder, errors, callerSays, setClock: (ms: number) => (mediaMs = ms) };
}

/** The agent's side (right channel) of the written recording: loud over `heard`, silent over `silent` (ms). */
async function expectAgentSide(spans: { heard: [number, number]; silent: [number, number] }): Promise<void> {
  const file = await readFile(join(dir, `${CALL}.wav`));
  expect(peak(channel(file, 1, ...spans.heard))).toBeGreaterThan(10_000);
  expect(peak(channel(file, 1, ...spans.silent))).toBeLessThan(100);
}

describe('the μ-law table', () => {
  it('decodes every byte as the reference decoder does', () => {
    for (let byte = 0; byte < 256; byte++) {
      expect(ULAW_TO_PCM16[byte]).toBe(Math.round(decodeUlawSample(byte) * 32768) + 0); // + 0: -0 is 0 in 16 bits
    }
  });
});

describe('call recorder', () => {
  it('writes one stereo 8 kHz WAV: caller left at its timestamps, agent right where Twilio played it', async () => {
    const { recorder, callerSays, setClock } = rig();
    // 0–1 s the caller speaks; at 1 s the agent's 1 s reply is sent and plays 1–2 s; then silence to 3 s.
    callerSays(tone(1000, 440), 0);
    setClock(1000);
    for (const payload of frames(tone(1000, 1000))) recorder.agentAudio(payload);
    callerSays(silenceUlaw(2000), 1000);
    const result = await recorder.finish();

    expect(result).toMatchObject({ status: 'saved', key: `${CALL}.wav`, durationMs: 3000 });
    const file = await readFile(join(dir, `${CALL}.wav`));
    expect(parseWavHeader(file)).toEqual({
      format: 1,
      channels: 2,
      sampleRate: 8000,
      bitsPerSample: 16,
      dataBytes: 3000 * 8 * 4,
      riffBytes: 36 + 3000 * 8 * 4,
    });
    expect(file.length).toBe(WAV_HEADER_BYTES + 3000 * 8 * 4);
    expect(result).toMatchObject({ bytes: file.length });
    // Caller: sounding in the first second only; agent: in the second only.
    expect(peak(channel(file, 0, 0, 1000))).toBeGreaterThan(10_000);
    expect(peak(channel(file, 0, 1000, 3000))).toBeLessThan(100);
    expect(peak(channel(file, 1, 0, 1000))).toBeLessThan(100);
    expect(peak(channel(file, 1, 1000, 2000))).toBeGreaterThan(10_000);
    expect(peak(channel(file, 1, 2000, 3000))).toBeLessThan(100);
    expect(channelLevelDbfs(file, 0)).toBeGreaterThan(-20);
    expect(channelLevelDbfs(file, 1)).toBeGreaterThan(-20);
    // No working file left behind.
    expect(await readdir(dir)).toEqual([`${CALL}.wav`]);
  });

  it('queues agent audio after what Twilio still plays, and a clear cuts it where the caller stopped hearing it', async () => {
    const { recorder, callerSays, setClock } = rig();
    const playback = new AgentPlayback(STREAM, () => {}, true, recorder);
    setClock(0);
    // Two seconds of reply arrive at once (faster than real time), then the caller barges in at 0.5 s.
    for (const payload of frames(tone(2000, 800))) playback.play(payload, 'item1', 0);
    callerSays(tone(500, 300), 0);
    setClock(500);
    playback.cut(500);
    callerSays(silenceUlaw(2500), 500);
    expect(await recorder.finish()).toMatchObject({ status: 'saved' });
    const file = await readFile(join(dir, `${CALL}.wav`));

    expect(peak(channel(file, 1, 0, 480))).toBeGreaterThan(10_000);
    // Cut at 0.5 s: the rest of the reply was never heard, so it is not on the agent's channel.
    expect(peak(channel(file, 1, 520, 3000))).toBeLessThan(100);
  });

  it('untracked playback (ElevenLabs) records what is sent and is cut by the interruption clear', async () => {
    const { recorder, callerSays, setClock } = rig();
    const playback = new AgentPlayback(STREAM, () => {}, false, recorder);
    setClock(0);
    for (const payload of frames(tone(1000, 800))) playback.play(payload, undefined, 0);
    callerSays(silenceUlaw(300), 0);
    setClock(300);
    playback.cut(300);
    callerSays(silenceUlaw(700), 300);
    await recorder.finish();
    await expectAgentSide({ heard: [0, 280], silent: [320, 1000] });
  });

  it('a call longer than its window is written in batches: memory stays the window, the file has it all', async () => {
    const { recorder, callerSays } = rig({ windowMs: 2000 });
    callerSays(tone(10_000, 500), 0);
    const result = await recorder.finish();
    expect(result).toMatchObject({ status: 'saved', durationMs: 10_000 });
    const file = await readFile(join(dir, `${CALL}.wav`));
    expect(peak(channel(file, 0, 9000, 9980))).toBeGreaterThan(10_000);
  });

  it('agent audio further ahead of playback than the window is not kept (bounded), the rest is', async () => {
    const { recorder, callerSays, setClock } = rig({ windowMs: 1000 });
    setClock(0);
    for (const payload of frames(tone(3000, 800))) recorder.agentAudio(payload);
    callerSays(silenceUlaw(3000), 0);
    await recorder.finish();
    await expectAgentSide({ heard: [0, 980], silent: [1020, 3000] });
  });

  it('a recording that cannot be written never throws into the call: logged once, failed, nothing left', async () => {
    let mediaMs = 0;
    const errors: unknown[] = [];
    const unwritable = {
      workingPath: () => join(dir, 'missing', 'dir', `${CALL}.wav.part`),
      keyFor: () => `${CALL}.wav`,
      store: async () => ({ bytes: 0 }),
    };
    const recorder = new CallRecorder(CALL, unwritable, {
      mediaMs: () => mediaMs,
      log: { error: (...args: unknown[]) => errors.push(args) },
    });
    for (const payload of frames(tone(3000, 440))) {
      mediaMs += 20;
      expect(() => recorder.callerAudio(payload, mediaMs)).not.toThrow();
      expect(() => recorder.agentAudio(payload)).not.toThrow();
    }
    expect(await recorder.finish()).toEqual({ status: 'failed' });
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain('+1');
  });

  it('a store that refuses the file (S3 down) reports failed and removes the working file', async () => {
    const errors: unknown[] = [];
    const recorder = new CallRecorder(
      CALL,
      {
        workingPath: () => join(dir, 'working.wav'),
        keyFor: () => 'recordings/x.wav',
        store: async () => {
          throw new Error('AccessDenied');
        },
      },
      { mediaMs: () => 0, log: { error: (...args: unknown[]) => errors.push(args) } },
    );
    recorder.callerAudio(tone(20, 440).toString('base64'), 0);
    expect(await recorder.finish()).toEqual({ status: 'failed' });
    expect(errors).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
