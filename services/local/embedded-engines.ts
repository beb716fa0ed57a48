import { type ElevenLabsSim, startElevenLabsSim } from './sim/elevenlabs-server.js';
import { type OpenAiSim, startOpenAiSim } from './sim/openai-server.js';
import type { ConversationScript } from './sim/script.js';

type Env = Record<string, string | undefined>;

export interface EmbeddedEngines {
  /** The environment with the simulators' URLs and keys filled in where none were set. */
  env: Env;
  /** Which engines are simulated. */
  simulated: string[];
  elevenlabs?: ElevenLabsSim;
  openai?: OpenAiSim;
  close(): Promise<void>;
}

const SIM_KEY = 'embedded-simulator';

/**
 * The local stack's stand-ins for the voice engines: only where no key is set, a protocol-faithful
 * simulator (the one the tests use) plays `script`. A key that is set always wins.
 */
export async function startEmbeddedEngines(env: Env, script: ConversationScript): Promise<EmbeddedEngines> {
  const filled: Env = { ...env };
  const simulated: string[] = [];
  let elevenlabs: ElevenLabsSim | undefined;
  let openai: OpenAiSim | undefined;
  if (!env.ELEVENLABS_API_KEY?.trim()) {
    elevenlabs = await startElevenLabsSim({
      apiKey: SIM_KEY,
      agentId: 'agent_embedded',
      script,
      pingIntervalMs: 5000,
    });
    Object.assign(filled, {
      ELEVENLABS_API_KEY: SIM_KEY,
      ELEVENLABS_AGENT_ID: 'agent_embedded',
      ELEVENLABS_API_URL: elevenlabs.apiUrl,
    });
    simulated.push('elevenlabs');
  }
  if (!env.OPENAI_API_KEY?.trim()) {
    openai = await startOpenAiSim({ apiKey: SIM_KEY, script });
    Object.assign(filled, { OPENAI_API_KEY: SIM_KEY, OPENAI_REALTIME_URL: openai.url });
    simulated.push('openai');
  }
  return {
    env: filled,
    simulated,
    elevenlabs,
    openai,
    async close() {
      await elevenlabs?.close();
      await openai?.close();
    },
  };
}
