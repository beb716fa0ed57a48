import { StaticProviderFlag } from '../../../services/adapters/memory/static-provider-flag.js';

describe('StaticProviderFlag', () => {
  it('serves VOICE_PROVIDER from the configuration', async () => {
    expect(await StaticProviderFlag.fromConfig({ voiceProvider: 'openai' }).current()).toBe('openai');
    expect(await StaticProviderFlag.fromConfig({ voiceProvider: 'elevenlabs' }).current()).toBe('elevenlabs');
  });

  it('can be switched at run time', async () => {
    const flag = new StaticProviderFlag('elevenlabs');
    flag.set('openai');
    expect(await flag.current()).toBe('openai');
  });
});
