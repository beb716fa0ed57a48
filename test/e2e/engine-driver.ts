import type { EngineName } from '../../services/core/shared/engines';
import { loadClip } from '../../services/local/sim/audio';
import type { SimConversation } from '../../services/local/sim/elevenlabs-server';
import type { OpenAiSimSession } from '../../services/local/sim/openai-server';
import type { Harness } from './harness';

/**
 * One simulated engine session seen from a test, the same for both engines, so each call-path
 * scenario runs against ElevenLabs and OpenAI from one parameterised suite.
 */
export interface EngineDriver {
  name: EngineName;
  /** Resolves once the bridge's engine session is ready for audio both ways. */
  ready(): Promise<void>;
  /** The exact caller payload strings the engine received, in order. */
  callerPayloads(): string[];
  waitForCallerBytes(bytes: number, timeoutMs?: number): Promise<void>;
  /** The agent speaks `audio` (μ-law); resolves when the engine has sent it all. */
  speak(audio: Buffer, text?: string): Promise<void>;
  /** The engine reports a completed caller turn and agent turn. */
  transcripts(caller: string, agent: string): void;
  /** The agent calls a tool; resolves with the result text the bridge sent back and whether it was an error. */
  toolCall(name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** The engine closes its socket. */
  closeFromEngine(code?: number): void;
  closed(): Promise<{ code: number }>;
  violations(): unknown[];
}

export async function nextDriver(
  harness: Harness,
  name: EngineName,
  timeoutMs = 5000,
): Promise<EngineDriver> {
  return name === 'elevenlabs'
    ? elevenLabsDriver(await harness.elevenlabs.nextConversation(timeoutMs))
    : openAiDriver(await harness.openai.nextSession(timeoutMs));
}

/** A call whose engine is ready to talk, with the driver that plays that engine. */
export async function readyCall(
  harness: Harness,
  engine: EngineName,
  options?: Parameters<Harness['call']>[0],
) {
  const { callSid, stream } = await harness.call(options);
  const driver = await nextDriver(harness, engine);
  await driver.ready();
  return { callSid, stream, driver };
}

/** A call from `from` whose engine is ready and has heard the caller's "hello": where most scenarios begin. */
export async function callThatSaidHello(harness: Harness, engine: EngineName, from: string) {
  const { callSid, stream, driver } = await readyCall(harness, engine, { from });
  const hello = loadClip('caller-hello');
  await stream.sendAudio(hello, { paced: false });
  await driver.waitForCallerBytes(hello.length);
  return { callSid, stream, driver };
}

function elevenLabsDriver(conversation: SimConversation): EngineDriver {
  return {
    name: 'elevenlabs',
    ready: async () => {
      // The metadata went out on the first client message; the bridge answers pings once ready.
      await conversation.ping();
    },
    callerPayloads: () => conversation.userAudioChunks,
    waitForCallerBytes: (bytes, timeoutMs = 5000) => conversation.waitForUserAudio(bytes, timeoutMs),
    speak: async (audio, text) => {
      if (text) conversation.agentResponse(text);
      conversation.sendAudio(audio);
    },
    transcripts: (caller, agent) => {
      conversation.userTranscript(caller);
      conversation.agentResponse(agent);
    },
    toolCall: async (name, args) => {
      const result = await conversation.toolCall(name, args);
      return { text: result.result, isError: result.is_error };
    },
    closeFromEngine: (code = 1000) => conversation.close(code),
    closed: () => conversation.closed,
    violations: () => conversation.violations,
  };
}

function openAiDriver(session: OpenAiSimSession): EngineDriver {
  return {
    name: 'openai',
    ready: async () => {
      // The engine asks for the greeting (`response.create`) once `session.updated` made it ready.
      await session.waitForEvent('response.create', 1, 5000);
    },
    callerPayloads: () => session.appendedAudio,
    waitForCallerBytes: async (bytes, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (session.callerAudio().length < bytes) {
        if (Date.now() > deadline)
          throw new Error(`caller audio: ${session.callerAudio().length} of ${bytes} bytes`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    speak: async (audio, text = 'agent speech') => {
      await session.respond({ text, audio });
    },
    transcripts: (caller, agent) => {
      session.callerTranscript(caller);
      // An agent transcript arrives with its response; a silent one carries just the text.
      void session.respond({ text: agent, audio: Buffer.alloc(160, 0xff) });
    },
    toolCall: async (name, args) => {
      const item = (await session.functionCall(name, args)) as { output: string };
      const isError = item.output.startsWith('Error:');
      return { text: item.output, isError };
    },
    closeFromEngine: (code = 1000) => session.close(code),
    closed: () => session.closed,
    violations: () => [],
  };
}
