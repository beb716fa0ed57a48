import { createElevenLabsEngine } from '../../services/adapters/elevenlabs/engine.js';
import { testOpenAiEngine } from '../support/openai-engine.js';

// What each engine declares decides who handles barge-ins and how tools are called: building the
// engine is enough to read it, no connection is made.
describe('what each engine declares', () => {
  it.each([
    {
      name: 'elevenlabs',
      how: 'its own turn-taking decides barge-ins, with client tools',
      engine: () =>
        createElevenLabsEngine({ apiKey: 'xi-test', agentId: 'agent_test', apiUrl: 'http://127.0.0.1:1' }),
      capabilities: {
        turnDetection: 'engine',
        bargeIn: 'engine',
        truncateOnBargeIn: false,
        toolProtocol: 'client-tool',
      },
    },
    {
      name: 'openai',
      how: 'the bridge decides barge-ins and truncates the answer, with function calls',
      engine: () => testOpenAiEngine('ws://127.0.0.1:1', 'sk-test'),
      capabilities: {
        turnDetection: 'engine',
        bargeIn: 'bridge',
        truncateOnBargeIn: true,
        toolProtocol: 'function-call',
      },
    },
  ])('$name: $how', ({ name, engine, capabilities }) => {
    const built = engine();
    expect(built.name).toBe(name);
    expect(built.capabilities).toEqual(capabilities);
  });
});
