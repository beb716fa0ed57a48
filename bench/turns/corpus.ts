/**
 * The labelled speech corpus of `npm run bench:turns`, made from Debian's TTS voices (espeak-ng,
 * flite, festival) and sox: each caller clip is synthesised, trimmed, band-limited to a phone line
 * (300–3400 Hz, 8 kHz), set to a target *active speech* level (measured, P.56-style, see pcm.ts),
 * mixed over steady line noise and encoded as raw G.711 μ-law, Twilio's format. Onset, offset and
 * pauses are measured from the audio. Generated into a git-ignored folder (default
 * `.local/speech-corpus`), each file cached under a hash of its recipe and the tools' versions, with
 * a manifest (`manifest.json`) of what was built.
 *
 *   npm run speech-corpus                      builds the whole corpus (scripts/make-speech-corpus.ts)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { activeLevelDbfs, rmsDbfs, scale, speechSpans, ulawDecode, ulawEncode } from './pcm';

const run = promisify(execFile);

/** Bump to rebuild every clip (the recipe of a clip changed in a way its hash does not see). */
const CORPUS_VERSION = 3;

export type TtsEngine = 'espeak-ng' | 'flite' | 'festival';
export interface Voice {
  engine: TtsEngine;
  /** espeak-ng `-v`, flite `-voice`, festival `(voice_<name>)`. */
  voice: string;
  /** espeak-ng words per minute. */
  speed?: number;
}

/** The six caller voices: two of each synthesiser, male and female where the synthesiser has both. */
export const CALLER_VOICES = {
  'espeak-m': { engine: 'espeak-ng', voice: 'en-us', speed: 160 },
  'espeak-f': { engine: 'espeak-ng', voice: 'en-us+f3', speed: 160 },
  'flite-slt': { engine: 'flite', voice: 'slt' },
  'flite-rms': { engine: 'flite', voice: 'rms' },
  'festival-kal': { engine: 'festival', voice: 'kal_diphone' },
  'festival-ked': { engine: 'festival', voice: 'ked_diphone' },
} as const satisfies Record<string, Voice>;
export type CallerVoice = keyof typeof CALLER_VOICES;
export const CALLER_VOICE_IDS = Object.keys(CALLER_VOICES) as CallerVoice[];

/** The agent (the simulated engine's answers): a voice no caller has, clean (an engine's TTS). */
const AGENT_VOICE: Voice = { engine: 'flite', voice: 'kal16' };
/** The television in the room: voices no caller has. */
const TV_VOICES: Voice[] = [
  { engine: 'flite', voice: 'awb' },
  { engine: 'espeak-ng', voice: 'en-gb-x-rp', speed: 175 },
  { engine: 'espeak-ng', voice: 'en-us+m3', speed: 180 },
];

/** Each as its sentences, synthesised apart and spliced with `SENTENCE_GAP_MS`, so each one's span is known. */
export const INTERRUPTIONS = [
  ['Actually wait, I need to change the time of my appointment.'],
  ['Sorry, can I stop you there?', 'I have a different question.'],
  ['Hold on, that is not what I asked about, I need a plumber today.'],
];
const SENTENCE_GAP_MS = 250;
export const QUESTION = 'How much is it?';
export const BACKCHANNELS = ['uh huh', 'okay', 'I see', 'yeah', 'right', 'mm-hmm'];
/** The thinking pause: the two halves, spliced with `PAUSE_MS` of silence. */
export const PAUSE_PARTS = ['I run a', 'plumbing company, with six vans.'] as const;
export const PAUSE_MS = 900;
const TV_LINES = [
  'Good evening. Heavy rain is expected across the region tonight, with flooding near the river.',
  'Traffic on the ring road is moving slowly after an accident earlier this afternoon.',
  'And in sport, the home side won again on Saturday, their fifth win in a row.',
];
export const TV_LEVEL_DBFS = -40;
export const AGENT_ANSWERS = [
  'Thanks for calling Bolt Plumbing. We fix leaks, clear blocked drains and fit new water heaters across the city. How can I help you today?',
  'A standard call-out is eighty five dollars, which includes the first half hour of work, and we always give you a price before we start.',
  'No problem at all. I can move your visit to any free slot this week, and I will send you a new confirmation by email.',
  'Of course. Tell me a little about the job, where you are, and when suits you, and I will find the first engineer who can come out.',
];

export const CALLER_LEVELS_DBFS = [-20, -28, -36];
/** Steady line noise under every caller clip and between them (band-limited pink noise). */
export const LINE_NOISE_DBFS = -60;
/** Line noise before and after the speech of each caller clip. */
const LEAD_MS = 400;

export type ClipKind = 'interruption' | 'question' | 'backchannel' | 'pause' | 'tv' | 'agent';

export interface CorpusClip {
  id: string;
  kind: ClipKind;
  /** What is said: the label the OpenAI simulator reports as the transcript. */
  text: string;
  /** Its parts (sentences, the pause's two halves), each synthesised on its own and spliced. */
  parts: string[];
  /** Where each part is spoken in the clip (its speech, measured): what the simulator's labels are timed by. */
  segments: Array<{ text: string; startMs: number; endMs: number }>;
  voice: string;
  /** The target active speech level (dBFS). */
  targetLevelDbfs: number;
  /** Measured on the final μ-law clip with its line noise (dBFS, active speech level). */
  levelDbfs: number;
  /** Measured line noise level of the clip (dBFS RMS of its lead-in). */
  noiseDbfs: number | null;
  durationMs: number;
  /** Speech onset and offset, measured on the clip's speech before the noise is mixed in. */
  onsetMs: number;
  offsetMs: number;
  /** Silences of 300 ms or more inside the speech (the thinking pause). */
  pauses: Array<{ startMs: number; endMs: number }>;
  /** Path of the raw μ-law file. */
  file: string;
}

export interface Corpus {
  dir: string;
  tools: Record<string, string>;
  lineNoiseDbfs: number;
  /** Path of a 20 s raw μ-law loop of line noise (sent between clips). */
  lineNoiseFile: string;
  clips: CorpusClip[];
}

export interface CorpusOptions {
  dir?: string;
  voices?: CallerVoice[];
  levels?: number[];
  log?: (line: string) => void;
}

export const DEFAULT_CORPUS_DIR = resolve(__dirname, '../../.local/speech-corpus');

const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

/** The versions of the tools, part of every cache key; throws naming what is missing. */
async function toolVersions(): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const missing: string[] = [];
  for (const [tool, args] of [
    ['espeak-ng', ['--version']],
    ['flite', ['--version']],
    ['festival', ['--version']],
    ['sox', ['--version']],
  ] as const) {
    try {
      const { stdout } = await run(tool, [...args]);
      versions[tool] = stdout.trim().split('\n').at(-1)?.trim() ?? '';
    } catch (error) {
      const { code, stdout } = error as { code?: unknown; stdout?: string };
      // flite answers --version with a non-zero exit status: only a missing program is missing.
      if (code === 'ENOENT') missing.push(tool);
      else
        versions[tool] =
          String(stdout ?? '')
            .trim()
            .split('\n')
            .at(-1)
            ?.trim() ?? '';
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `speech corpus: ${missing.join(', ')} not found. Install them (Debian): apt-get install -y espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k sox`,
    );
  }
  return versions;
}

/** Synthesis in flight or done, by key: the same words are wanted at every level. */
const synthesised = new Map<string, Promise<Int16Array>>();

/** Synthesises `text` and returns 8 kHz 16-bit samples: trimmed, band-limited to 300–3400 Hz. */
function synthesise(voice: Voice, text: string, dir: string, tools: Record<string, string>) {
  const key = hash({ voice, text, tools, v: CORPUS_VERSION });
  const file = join(dir, 'tts', `${voice.engine}-${voice.voice.replace(/[^\w-]/g, '_')}-${key}.s16`);
  let pending = synthesised.get(file);
  if (!pending) {
    pending = synthesiseTo(file, key, voice, text, dir);
    synthesised.set(file, pending);
  }
  return pending;
}

async function synthesiseTo(out: string, key: string, voice: Voice, text: string, dir: string) {
  if (!existsSync(out)) {
    mkdirSync(join(dir, 'tts'), { recursive: true });
    const wav = join(tmpdir(), `bolt-tts-${process.pid}-${key}.wav`);
    if (voice.engine === 'espeak-ng') {
      await run('espeak-ng', ['-v', voice.voice, '-s', String(voice.speed ?? 160), '-w', wav, text]);
    } else if (voice.engine === 'flite') {
      await run('flite', ['-voice', voice.voice, '-t', text, '-o', wav]);
    } else {
      const textFile = `${wav}.txt`;
      writeFileSync(textFile, text);
      await run('text2wave', ['-eval', `(voice_${voice.voice})`, '-o', wav, textFile]);
    }
    // Trim silence at both ends, then the phone band at 8 kHz (sox's sinc: a steep FIR band-pass).
    const tmp = `${out}.${process.pid}.tmp`;
    await run('sox', [
      wav,
      ...['-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-L', tmp],
      ...['silence', '1', '0.01', '-50d', 'reverse', 'silence', '1', '0.01', '-50d', 'reverse'],
      ...['sinc', '300-3400', 'rate', '8000'],
    ]);
    renameSync(tmp, out);
    rmSync(wav, { force: true });
    rmSync(`${wav}.txt`, { force: true });
  }
  return readS16(out);
}

function readS16(file: string): Int16Array {
  const bytes = readFileSync(file);
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  return samples;
}

/** 20 s of band-limited pink noise at `LINE_NOISE_DBFS` RMS, as 16-bit samples. */
async function lineNoise(dir: string, tools: Record<string, string>): Promise<Int16Array> {
  const out = join(dir, `line-noise-${hash({ tools, LINE_NOISE_DBFS, v: CORPUS_VERSION })}.s16`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    await run('sox', [
      ...['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed', '-L', '-t', 'raw', tmp],
      ...['synth', '20', 'pinknoise', 'sinc', '300-3400', 'vol', '0.1'],
    ]);
    const raw = readS16(tmp);
    const scaled = scale(raw, LINE_NOISE_DBFS - rmsDbfs(raw));
    const bytes = Buffer.alloc(scaled.length * 2);
    for (const [i, s] of scaled.entries()) bytes.writeInt16LE(Math.round(s), i * 2);
    writeFileSync(tmp, bytes);
    renameSync(tmp, out);
  }
  return readS16(out);
}

interface ClipRecipe {
  id: string;
  kind: ClipKind;
  voice: string;
  voiceSpec: Voice;
  parts: string[];
  /** Silence spliced between the parts. */
  gapMs: number;
  level: number;
  /** Mix line noise under it (caller side: yes; agent: no). */
  noise: boolean;
}

function recipes(voices: CallerVoice[], levels: number[]): ClipRecipe[] {
  const list: ClipRecipe[] = [];
  const caller = (
    kind: ClipKind,
    voice: CallerVoice,
    level: number,
    id: string,
    parts: string[],
    gapMs = 0,
  ) => {
    list.push({ id, kind, voice, voiceSpec: CALLER_VOICES[voice], parts, gapMs, level, noise: true });
  };
  for (const voice of voices) {
    for (const level of levels) {
      const at = `${voice}@${-level}`;
      for (const [i, parts] of INTERRUPTIONS.entries()) {
        caller('interruption', voice, level, `interruption${i + 1}-${at}`, parts, SENTENCE_GAP_MS);
      }
      caller('question', voice, level, `question-${at}`, [QUESTION]);
      for (const text of BACKCHANNELS) {
        caller('backchannel', voice, level, `bc-${text.replace(/\W+/g, '')}-${at}`, [text]);
      }
      caller('pause', voice, level, `pause-${at}`, [...PAUSE_PARTS], PAUSE_MS);
    }
  }
  for (const [i, text] of TV_LINES.entries()) {
    list.push({
      id: `tv${i + 1}`,
      kind: 'tv',
      voice: `tv-${TV_VOICES[i]!.engine}-${TV_VOICES[i]!.voice}`,
      voiceSpec: TV_VOICES[i]!,
      parts: [text],
      gapMs: 0,
      level: TV_LEVEL_DBFS,
      noise: true,
    });
  }
  for (const [i, text] of AGENT_ANSWERS.entries()) {
    list.push({
      id: `agent${i + 1}`,
      kind: 'agent',
      voice: `agent-${AGENT_VOICE.engine}-${AGENT_VOICE.voice}`,
      voiceSpec: AGENT_VOICE,
      parts: [text],
      gapMs: 0,
      level: -20,
      noise: false,
    });
  }
  return list;
}

async function buildClip(
  recipe: ClipRecipe,
  dir: string,
  tools: Record<string, string>,
  noise: Int16Array,
): Promise<CorpusClip> {
  const key = hash({ recipe, tools, LINE_NOISE_DBFS, LEAD_MS, v: CORPUS_VERSION });
  const file = join(dir, 'clips', `${recipe.id.replace(/[^\w@.-]/g, '_')}-${key}.ulaw`);
  const metaFile = `${file}.json`;
  if (existsSync(file) && existsSync(metaFile))
    return JSON.parse(readFileSync(metaFile, 'utf8')) as CorpusClip;
  mkdirSync(join(dir, 'clips'), { recursive: true });
  const pieces: Int16Array[] = [];
  /** Sample offset of each part in the speech. */
  const partAt: number[] = [];
  let length = 0;
  for (const [i, part] of recipe.parts.entries()) {
    if (i > 0) {
      pieces.push(new Int16Array(recipe.gapMs * 8));
      length += recipe.gapMs * 8;
    }
    const piece = await synthesise(recipe.voiceSpec, part, dir, tools);
    partAt.push(length);
    pieces.push(piece);
    length += piece.length;
  }
  const speech = new Int16Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    speech.set(piece, offset);
    offset += piece.length;
  }
  const scaled = scale(speech, recipe.level - activeLevelDbfs(speech));
  const lead = recipe.noise ? LEAD_MS * 8 : 0;
  // Whole 20 ms frames (160 samples), as Twilio sends them.
  const total = Math.ceil((scaled.length + 2 * lead) / 160) * 160;
  const mixed = new Float32Array(total);
  const noiseStart = Number.parseInt(key.slice(0, 6), 16) % Math.max(1, noise.length - total);
  for (let i = 0; i < total; i++) {
    const s = i >= lead && i < lead + scaled.length ? scaled[i - lead]! : 0;
    mixed[i] = s + (recipe.noise ? noise[(noiseStart + i) % noise.length]! : 0);
  }
  const ulaw = ulawEncode(mixed);
  const spans = speechSpans(scaled).map((s) => ({
    startMs: s.startMs + lead / 8,
    endMs: s.endMs + lead / 8,
  }));
  // Pauses: gaps between speech spans (speechSpans merges gaps under 300 ms).
  const pauses = spans.slice(1).map((s, i) => ({ startMs: spans[i]!.endMs, endMs: s.startMs }));
  const segments = recipe.parts.map((text, i) => {
    const from = partAt[i]!;
    const to = i + 1 < partAt.length ? partAt[i + 1]! - recipe.gapMs * 8 : scaled.length;
    const own = speechSpans(scaled.subarray(from, to));
    const at = (from + lead) / 8;
    return {
      text,
      startMs: Math.round(at + (own[0]?.startMs ?? 0)),
      endMs: Math.round(at + (own.at(-1)?.endMs ?? (to - from) / 8)),
    };
  });
  const decoded = ulawDecode(ulaw);
  const clip: CorpusClip = {
    id: recipe.id,
    kind: recipe.kind,
    text: recipe.parts.join(' '),
    parts: recipe.parts,
    segments,
    voice: recipe.voice,
    targetLevelDbfs: recipe.level,
    levelDbfs: round1(activeLevelDbfs(decoded.subarray(lead, lead + scaled.length))),
    noiseDbfs: recipe.noise ? round1(rmsDbfs(decoded.subarray(0, lead))) : null,
    durationMs: total / 8,
    onsetMs: spans[0]?.startMs ?? 0,
    offsetMs: spans.at(-1)?.endMs ?? 0,
    pauses,
    file,
  };
  // Written aside and renamed: another process building the same corpus never reads half a file.
  writeFileSync(`${file}.${process.pid}.tmp`, ulaw);
  renameSync(`${file}.${process.pid}.tmp`, file);
  writeFileSync(`${metaFile}.${process.pid}.tmp`, `${JSON.stringify(clip, null, 2)}\n`);
  renameSync(`${metaFile}.${process.pid}.tmp`, metaFile);
  return clip;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Builds (or reuses) the clips for `voices` × `levels` plus the TV and agent clips; writes the manifest. */
export async function buildSpeechCorpus(options: CorpusOptions = {}): Promise<Corpus> {
  const dir = options.dir ?? DEFAULT_CORPUS_DIR;
  const voices = options.voices ?? CALLER_VOICE_IDS;
  const levels = options.levels ?? CALLER_LEVELS_DBFS;
  mkdirSync(dir, { recursive: true });
  const tools = await toolVersions();
  const noise = await lineNoise(dir, tools);
  const list = recipes(voices, levels);
  const clips: CorpusClip[] = new Array(list.length);
  let next = 0;
  let built = 0;
  // Two at a time: the synthesisers are single-threaded and the machine is shared.
  await Promise.all(
    [0, 1].map(async () => {
      while (next < list.length) {
        const index = next++;
        clips[index] = await buildClip(list[index]!, dir, tools, noise);
        if (++built % 50 === 0) options.log?.(`speech corpus: ${built}/${list.length} clips`);
      }
    }),
  );
  const lineNoiseFile = join(dir, 'line-noise.ulaw');
  writeFileSync(`${lineNoiseFile}.${process.pid}.tmp`, ulawEncode(noise));
  renameSync(`${lineNoiseFile}.${process.pid}.tmp`, lineNoiseFile);
  const corpus: Corpus = { dir, tools, lineNoiseDbfs: LINE_NOISE_DBFS, lineNoiseFile, clips };
  const manifest = join(dir, 'manifest.json');
  writeFileSync(`${manifest}.${process.pid}.tmp`, `${JSON.stringify(corpus, null, 2)}\n`);
  renameSync(`${manifest}.${process.pid}.tmp`, manifest);
  return corpus;
}
