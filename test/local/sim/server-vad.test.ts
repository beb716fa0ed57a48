import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildSpeechCorpus, type Corpus, type CorpusClip } from '../../../bench/turns/corpus';
import { type OpenAiSim, startOpenAiSim } from '../../../services/local/sim/openai-server';
import { ServerVad, type VadEvent } from '../../../services/local/sim/server-vad';

// Real speech from the bench's corpus (needs espeak-ng, flite, festival and sox; cached across runs).
const DIR = join(tmpdir(), 'bolt-speech-corpus-test');
let corpus: Corpus;
let noise: Buffer;
beforeAll(async () => {
  corpus = await buildSpeechCorpus({ dir: DIR, voices: ['flite-slt', 'festival-kal'], levels: [-20, -36] });
  noise = readFileSync(corpus.lineNoiseFile);
}, 60_000);

const clip = (id: string): CorpusClip => corpus.clips.find((c) => c.id === id)!;
const lineNoise = (ms: number, from = 0) => noise.subarray(from * 8, (from + ms) * 8);

/** Feeds `audio` in 20 ms frames, as the bridge forwards Twilio's. */
function run(vad: ServerVad, audio: Buffer): VadEvent[] {
  const events: VadEvent[] = [];
  for (let at = 0; at < audio.length; at += 160) events.push(...vad.feed(audio.subarray(at, at + 160)));
  return events;
}

describe('the OpenAI simulator’s server-like VAD on real speech', () => {
  it.each([['question-flite-slt@20'], ['question-flite-slt@36'], ['interruption1-festival-kal@36']])(
    '%s: speech_started near the onset (less the prefix padding), speech_stopped 600 ms after the offset',
    (id) => {
      const c = clip(id);
      const events = run(
        new ServerVad(),
        Buffer.concat([lineNoise(1000), readFileSync(c.file), lineNoise(1500, 2000)]),
      );
      expect(events.map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
      const [started, stopped] = events as [
        Extract<VadEvent, { type: 'speech_started' }>,
        Extract<VadEvent, { type: 'speech_stopped' }>,
      ];
      expect(Math.abs(started.audioStartMs - (1000 + c.onsetMs - 300))).toBeLessThanOrEqual(120);
      expect(started.atMs - (1000 + c.onsetMs)).toBeLessThanOrEqual(300);
      expect(Math.abs(stopped.audioEndMs - (1000 + c.offsetMs + 600))).toBeLessThanOrEqual(150);
    },
  );

  it('ends the turn at the 0.9 s thinking pause, as a real 600 ms VAD can: two turns', () => {
    const c = clip('pause-festival-kal@36');
    const events = run(
      new ServerVad(),
      Buffer.concat([lineNoise(1000), readFileSync(c.file), lineNoise(1500, 3000)]),
    );
    expect(events.map((e) => e.type)).toEqual([
      'speech_started',
      'speech_stopped',
      'speech_started',
      'speech_stopped',
    ]);
    // With a longer silence setting the pause stays inside one turn.
    const patient = run(
      new ServerVad({ silenceMs: 1500 }),
      Buffer.concat([lineNoise(1000), readFileSync(c.file), lineNoise(2000, 3000)]),
    );
    expect(patient.map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
  });

  it('hears nothing in steady line noise, nor in digital silence', () => {
    const vad = new ServerVad();
    expect(run(vad, lineNoise(15_000))).toEqual([]);
    expect(vad.noiseFloorDbfs).toBeLessThan(corpus.lineNoiseDbfs + 3);
    expect(run(new ServerVad(), Buffer.alloc(8000 * 3, 0xff))).toEqual([]);
  });
});

describe('the OpenAI simulator in server VAD mode', () => {
  let sim: OpenAiSim;
  afterEach(() => sim?.close());

  it('reports the turn with its label, answers on its own unless create_response is off, and can freeze', async () => {
    const answer = {
      text: 'We are open until five.',
      audio: readFileSync(clip('agent2').file).subarray(0, 8000),
    };
    sim = await startOpenAiSim({
      apiKey: 'k',
      audioSpeedup: 50,
      serverVad: { answers: [answer], transcriptionDelayMs: 10 },
    });
    const socket = new WebSocket(`${sim.url}?model=gpt-realtime`, { headers: { Authorization: 'Bearer k' } });
    const received: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => received.push(JSON.parse(data.toString())));
    await new Promise((resolve) => socket.once('open', resolve));
    const session = await sim.nextSession();
    session.expectUtterance('How much is it?');
    const audio = Buffer.concat([
      lineNoise(500),
      readFileSync(clip('question-flite-slt@20').file),
      lineNoise(1000, 1000),
    ]);
    for (let at = 0; at < audio.length; at += 160) {
      socket.send(
        JSON.stringify({
          type: 'input_audio_buffer.append',
          audio: audio.subarray(at, at + 160).toString('base64'),
        }),
      );
    }
    const types = () => received.map((e) => e.type);
    for (let i = 0; i < 200 && !types().includes('response.done'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(types()).toEqual(
      expect.arrayContaining([
        'input_audio_buffer.speech_started',
        'input_audio_buffer.speech_stopped',
        'input_audio_buffer.committed',
        'conversation.item.input_audio_transcription.completed',
        'response.created',
        'response.done',
      ]),
    );
    expect(
      received.find((e) => e.type === 'conversation.item.input_audio_transcription.completed'),
    ).toMatchObject({
      transcript: 'How much is it?',
    });
    expect(session.vadTurns).toEqual([expect.objectContaining({ transcript: 'How much is it?' })]);

    // The bridge's settings: the server neither answers nor interrupts on its own.
    socket.send(
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          audio: {
            input: {
              format: { type: 'audio/pcmu' },
              turn_detection: { type: 'semantic_vad', create_response: false, interrupt_response: false },
            },
          },
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const before = received.length;
    for (let at = 0; at < audio.length; at += 160) {
      socket.send(
        JSON.stringify({
          type: 'input_audio_buffer.append',
          audio: audio.subarray(at, at + 160).toString('base64'),
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    const second = received.slice(before).map((e) => e.type);
    expect(second).toContain('input_audio_buffer.speech_stopped');
    expect(second).not.toContain('response.created');

    session.freeze();
    const frozenAt = received.length;
    socket.send(JSON.stringify({ type: 'response.create' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(frozenAt);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(sim.violations).toEqual([]);
    socket.terminate();
  });

  it('gives each turn the words timed within it: the pause split in two turns gets each half', async () => {
    sim = await startOpenAiSim({ apiKey: 'k', serverVad: { answers: [], transcriptionDelayMs: 0 } });
    const socket = new WebSocket(`${sim.url}?model=gpt-realtime`, { headers: { Authorization: 'Bearer k' } });
    await new Promise((resolve) => socket.once('open', resolve));
    const session = await sim.nextSession();
    const c = clip('pause-festival-kal@36');
    session.expectSpeech(c.segments.map((s) => ({ ...s, startMs: 1000 + s.startMs, endMs: 1000 + s.endMs })));
    const audio = Buffer.concat([lineNoise(1000), readFileSync(c.file), lineNoise(1000, 3000)]);
    for (let at = 0; at < audio.length; at += 160) {
      socket.send(
        JSON.stringify({
          type: 'input_audio_buffer.append',
          audio: audio.subarray(at, at + 160).toString('base64'),
        }),
      );
    }
    for (let i = 0; i < 200 && session.vadTurns.filter((t) => t.transcript !== undefined).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(session.vadTurns.map((t) => t.transcript)).toEqual([
      'I run a',
      'plumbing company, with six vans.',
    ]);
    socket.terminate();
  });
});
