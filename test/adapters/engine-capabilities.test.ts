import { createElevenLabsEngine } from '../../services/adapters/elevenlabs/engine.js';
import { createOpenAiRealtimeEngine } from '../../services/adapters/openai-realtime/engine.js';

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
      engine: () =>
        createOpenAiRealtimeEngine({
          url: 'ws://127.0.0.1:1',
          apiKey: 'sk-test',
          model: 'gpt-realtime',
          voice: 'marin',
          vadEagerness: 'low',
        }),
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
