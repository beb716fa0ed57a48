/**
 * The turn-taking bench's calls: the local stack (`startLocalApp`, what `npm start` runs) with the
 * bridge as it is, provider `openai`, in front of the OpenAI simulator in its server-VAD mode
 * (answers from the corpus's agent clips) and the ElevenLabs simulator (the failover engine). Each
 * case is one call from a simulated Twilio that plays the agent in real time (marks, `clear`) while
 * the caller's tape streams line noise with one clip spliced in at the case's moment.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HOLD_PROMPT_FRAMES } from '../../services/bridge/hold-prompt';
import { type LocalApp, startLocalApp } from '../../services/local/app';
import { type ElevenLabsSim, startElevenLabsSim } from '../../services/local/sim/elevenlabs-server';
import {
  type OpenAiSim,
  type OpenAiSimSession,
  startOpenAiSim,
} from '../../services/local/sim/openai-server';
import { openStream, placeCall, type TwilioCallStream } from '../../services/local/sim/twilio-caller';
import { startTwilioRestSim, type TwilioRestSim } from '../../services/local/sim/twilio-rest';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../../test/support/twilio';
import type { Corpus, CorpusClip } from './corpus';
import type { CaseKind } from './options';
import { CallerTape } from './tape';
import {
  type CaseScore,
  heardTimeline,
  type ReceivedEvent,
  type ResponseInfo,
  type SentDelta,
  scoreCase,
} from './timeline';

const PUBLIC_URL = 'https://bolt-voice.test';
const BUSINESS_NUMBER = '+15550001111';
const KEY = 'bench-turns';
/** Over-the-agent clips start this long after the caller first hears the agent's answer. */
const INTO_ANSWER_MS = 1000;
/** The end question's speech starts this long before the agent's answer ends. */
const BEFORE_END_MS = 500;
/** After the caller's speech ends, how long the bench watches for answers and cuts. */
const WATCH_MS = 3500;
/** A clip asked for now starts after the tape's queued chunks (tape.ts: up to 4 × 40 ms). */
const TAPE_LEAD_MS = 120;
/** Frozen engine: how long the bench waits for another engine (then: not within this). */
const FROZEN_LIMIT_MS = 20_000;

export interface TurnCase {
  id: string;
  kind: CaseKind;
  clip: CorpusClip;
  voice: string;
  levelDbfs: number;
}

export interface CaseResult extends Partial<CaseScore> {
  id: string;
  kind: CaseKind;
  voice: string;
  levelDbfs: number;
  text: string;
  /** Caller speech onset → offset (ms). */
  speechMs: number;
  /** The simulated server VAD's turns in this call (after the greeting), and their transcripts. */
  vadTurns: number;
  transcripts?: string[];
  /** What the bridge did: Twilio `clear`s, `response.cancel`s, `response.create`s after the greeting. */
  clears: number;
  cancels: number;
  creates: number;
  /** Frozen engine: hang → the other engine's conversation open; hang → agent audio heard again. */
  failoverMs?: number | null;
  heardAgainMs?: number | null;
  error?: string;
}

export interface TurnStack {
  app: LocalApp;
  openai: OpenAiSim;
  elevenlabs: ElevenLabsSim;
  twilioRest: TwilioRestSim;
  noise: Buffer;
  close(): Promise<void>;
}

export async function startTurnStack(corpus: Corpus, audioSpeedup: number): Promise<TurnStack> {
  const answers = corpus.clips
    .filter((c) => c.kind === 'agent')
    .map((c) => ({ text: c.text, audio: readFileSync(c.file) }));
  const openai = await startOpenAiSim({ apiKey: KEY, audioSpeedup, serverVad: { answers } });
  const elevenlabs = await startElevenLabsSim({
    apiKey: KEY,
    agentId: 'agent_bench',
    script: {
      greeting: { text: 'Sorry about that, I am back. How can I help?', audioClip: 'agent-greeting' },
      turns: [],
    },
  });
  const twilioRest = await startTwilioRestSim({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN });
  const app = await startLocalApp(
    {
      PORT: '0',
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: BUSINESS_NUMBER,
      TWILIO_API_URL: twilioRest.url,
      VOICE_PROVIDER: 'openai',
      ELEVENLABS_API_KEY: KEY,
      ELEVENLABS_AGENT_ID: 'agent_bench',
      ELEVENLABS_API_URL: elevenlabs.apiUrl,
      OPENAI_API_KEY: KEY,
      OPENAI_REALTIME_URL: openai.url,
      BUSINESS_NAME: 'Bolt Plumbing',
      BUSINESS_TIMEZONE: 'America/New_York',
      OWNER_EMAIL: 'owner@example.com',
      LOCAL_OUTBOX_DIR: await mkdtemp(join(tmpdir(), 'bolt-bench-turns-')),
      CALLS_API_KEY: KEY,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
    },
    { host: '127.0.0.1', tools: { definitions: () => [], run: async () => ({ ok: true, text: '' }) } },
  );
  return {
    app,
    openai,
    elevenlabs,
    twilioRest,
    noise: readFileSync(corpus.lineNoiseFile),
    async close() {
      await app.close();
      await openai.close();
      await elevenlabs.close();
      await twilioRest.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

let setupLock: Promise<unknown> = Promise.resolve();
let callCounter = 0;

interface OpenCall {
  stream: TwilioCallStream;
  session: OpenAiSimSession;
  /** performance.now() at the stream clock's zero. */
  base: number;
}

/** Places a call and pairs it with its OpenAI session (one call set up at a time, so they match). */
function openCall(stack: TurnStack): Promise<OpenCall> {
  const setup = setupLock.then(async () => {
    const callSid = `CA${(0xb0000000 + ++callCounter).toString(16).padStart(32, '0')}`;
    const answer = await placeCall({
      baseUrl: stack.app.stack.url,
      publicUrl: PUBLIC_URL,
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      from: '+15551230001',
      to: BUSINESS_NUMBER,
      callSid,
    });
    if (!answer.twiml) throw new Error(`inbound webhook answered ${answer.status}`);
    const stream = await openStream({
      streamUrl: answer.twiml.streamUrl,
      connectTo: `${stack.app.stack.url.replace(/^http/, 'ws')}/media-stream`,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: answer.twiml.parameters,
    });
    const base = performance.now() - (stream.log.at(-1)?.atMs ?? 0);
    const session = await stack.openai.nextSession(10_000);
    return { stream, session, base };
  });
  setupLock = setup.catch(() => undefined);
  return setup;
}

function received(stream: TwilioCallStream): ReceivedEvent[] {
  const events: ReceivedEvent[] = [];
  for (const entry of stream.log) {
    if (entry.direction !== 'received') continue;
    const message = entry.message as { event?: string; media?: { payload?: string } };
    if (message.event === 'media' && typeof message.media?.payload === 'string') {
      const payload = message.media.payload;
      events.push({ atMs: entry.atMs, kind: 'media', payload, bytes: Buffer.from(payload, 'base64').length });
    } else if (message.event === 'clear') {
      events.push({ atMs: entry.atMs, kind: 'clear' });
    }
  }
  return events;
}

function engineOutput(session: OpenAiSimSession): { sent: SentDelta[]; responses: ResponseInfo[] } {
  const sent: SentDelta[] = [];
  const responses = new Map<string, ResponseInfo>();
  for (const event of session.sent) {
    if (event.type === 'response.created') {
      const id = (event.response as { id: string }).id;
      responses.set(id, { id, deltas: 0, status: 'in_progress' });
    } else if (event.type === 'response.output_audio.delta') {
      const id = event.response_id as string;
      sent.push({ responseId: id, payload: event.delta as string });
      const info = responses.get(id);
      if (info) info.deltas++;
    } else if (event.type === 'response.done') {
      const response = event.response as { id: string; status: string };
      const info = responses.get(response.id);
      if (info) info.status = response.status === 'completed' ? 'completed' : 'cancelled';
    }
  }
  return { sent, responses: [...responses.values()] };
}

/** When the chunk numbered `chunk` was sent (stream clock), waiting for it to go out. */
async function chunkSentAt(stream: TwilioCallStream, chunk: number): Promise<number> {
  const wanted = String(chunk);
  for (let waited = 0; waited < 10_000; waited += 10) {
    for (let i = stream.log.length - 1; i >= 0; i--) {
      const entry = stream.log[i]!;
      const message = entry.message as { event?: string; media?: { chunk?: string } };
      if (entry.direction === 'sent' && message.event === 'media' && message.media?.chunk === wanted)
        return entry.atMs;
    }
    await sleep(10);
  }
  throw new Error(`chunk ${chunk} was never sent`);
}

/** The end of what has been received so far of `responseId`, as it will play (stream clock). */
function playEnd(stream: TwilioCallStream, session: OpenAiSimSession, responseId: string): number {
  const { sent } = engineOutput(session);
  const own = heardTimeline(received(stream), sent).filter((s) => s.responseId === responseId);
  return own.at(-1)?.endMs ?? 0;
}

async function firstResponseDone(session: OpenAiSimSession): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 20) {
    const { responses } = engineOutput(session);
    const first = responses[0];
    if (first && first.status !== 'in_progress') return first.id;
    await sleep(20);
  }
  throw new Error('the greeting never finished');
}

function bridgeActions(stream: TwilioCallStream, session: OpenAiSimSession) {
  return {
    vadTurns: session.vadTurns.length,
    clears: stream.clears,
    cancels: session.events.filter((e) => e.type === 'response.cancel').length,
    creates: Math.max(0, session.responseCreates - 1),
  };
}

/** A case's result before anything is measured. */
function emptyResult(c: TurnCase): CaseResult {
  return {
    id: c.id,
    kind: c.kind,
    voice: c.voice,
    levelDbfs: c.levelDbfs,
    text: c.clip.text,
    speechMs: c.clip.offsetMs - c.clip.onsetMs,
    vadTurns: 0,
    clears: 0,
    cancels: 0,
    creates: 0,
  };
}

/**
 * One call for a case: placed, paired with its OpenAI session, its caller tape running and the
 * greeting heard; `run` plays the case. A failure is the case's result; the call always hangs up.
 */
async function onCall(
  stack: TurnStack,
  base: CaseResult,
  run: (call: {
    stream: TwilioCallStream;
    session: OpenAiSimSession;
    tape: CallerTape;
    now: () => number;
  }) => Promise<CaseResult>,
): Promise<CaseResult> {
  let call: OpenCall | undefined;
  let tape: CallerTape | undefined;
  try {
    call = await openCall(stack);
    const { stream, session } = call;
    tape = new CallerTape(stream, stack.noise);
    const started = call.base;
    const now = () => performance.now() - started;
    await stream.waitFor((s) => s.receivedBytes > 0, 15_000, 'the greeting');
    return await run({ stream, session, tape, now });
  } catch (error) {
    return { ...base, error: (error as Error).message };
  } finally {
    await tape?.stop();
    await call?.stream.hangUp().catch(() => undefined);
  }
}

/** One case: a call, the greeting, the clip at the case's moment, then what the caller heard. */
export async function runCase(stack: TurnStack, c: TurnCase): Promise<CaseResult> {
  const base = emptyResult(c);
  return onCall(stack, base, async ({ stream, session, tape, now }) => {
    const greetingAt = received(stream)[0]!.atMs;
    if (c.kind === 'interruption' || c.kind === 'backchannel' || c.kind === 'tv') {
      await sleep(greetingAt + INTO_ANSWER_MS - TAPE_LEAD_MS - now());
    } else {
      const greeting = await firstResponseDone(session);
      const end = playEnd(stream, session, greeting);
      if (c.kind === 'question') await sleep(end - BEFORE_END_MS - c.clip.onsetMs - TAPE_LEAD_MS - now());
      else await sleep(end + 1000 - now());
    }
    const firstChunk = await tape.play(readFileSync(c.clip.file));
    // Every caller frame reaches the engine (the bridge queues them while it connects): chunk n
    // starts at (n − 1) × 20 ms of the session's caller audio.
    const clipAt = (firstChunk - 1) * 20;
    session.expectSpeech(
      c.clip.segments.map((s) => ({ ...s, startMs: clipAt + s.startMs, endMs: clipAt + s.endMs })),
    );
    const startedAt = await chunkSentAt(stream, firstChunk);
    const onsetMs = startedAt + c.clip.onsetMs;
    const offsetMs = startedAt + c.clip.offsetMs;
    const vadTurnsBefore = session.vadTurns.length;
    // Watch until the answer playing at the onset is over (or cut) and WATCH_MS after the offset.
    for (;;) {
      await sleep(100);
      const t = now();
      if (t < offsetMs + WATCH_MS) continue;
      if (t > offsetMs + 20_000) break;
      const { sent } = engineOutput(session);
      const segments = heardTimeline(received(stream), sent);
      const over = segments.find((s) => s.startMs <= onsetMs && s.endMs > onsetMs)?.responseId;
      const overEnd = segments.filter((s) => s.responseId === over).at(-1)?.endMs ?? 0;
      if (over === undefined || overEnd + 300 < t) break;
    }
    const endMs = now();
    const { sent, responses } = engineOutput(session);
    const score = scoreCase(heardTimeline(received(stream), sent), responses, { onsetMs, offsetMs, endMs });
    const actions = bridgeActions(stream, session);
    const turns = session.vadTurns.slice(vadTurnsBefore);
    return {
      ...base,
      ...score,
      ...actions,
      vadTurns: turns.length,
      transcripts: turns.map((t) => t.transcript ?? ''),
    };
  });
}

/**
 * The frozen engine: after the greeting the OpenAI session hangs and the caller asks a question.
 * Two ways a server freezes, alternating: `hang` (it reads and sends nothing, so WebSocket pings go
 * unanswered too: a dead process or a broken path) and `freeze` (pings still answered, nothing else
 * sent: a stalled backend behind a live front end). Measured: hang → the ElevenLabs conversation
 * opens (failover), and hang → the caller hears the agent again.
 */
let frozenCount = 0;
const HOLD_PROMPT = new Set(HOLD_PROMPT_FRAMES);

export async function runFrozenCase(stack: TurnStack, c: TurnCase): Promise<CaseResult> {
  const base = emptyResult({ ...c, kind: 'frozen' });
  return onCall(stack, base, async ({ stream, session, tape, now }) => {
    const greeting = await firstResponseDone(session);
    await sleep(playEnd(stream, session, greeting) + 500 - now());
    const conversationsBefore = stack.elevenlabs.conversations.length;
    const frozenAt = now();
    if (frozenCount++ % 2 === 0) session.hang();
    else session.freeze();
    await tape.play(readFileSync(c.clip.file));
    let failoverMs: number | null = null;
    let heardAgainMs: number | null = null;
    while (now() - frozenAt < FROZEN_LIMIT_MS && (failoverMs === null || heardAgainMs === null)) {
      await sleep(50);
      if (failoverMs === null && stack.elevenlabs.conversations.length > conversationsBefore)
        failoverMs = now() - frozenAt;
      // The agent itself: the bridge's own "One moment, please." during the switch does not count.
      const again = received(stream).find(
        (e) => e.kind === 'media' && e.atMs > frozenAt && !HOLD_PROMPT.has(e.payload),
      );
      if (again && heardAgainMs === null) heardAgainMs = again.atMs - frozenAt;
    }
    return { ...base, ...bridgeActions(stream, session), failoverMs, heardAgainMs };
  });
}
