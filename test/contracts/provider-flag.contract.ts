/**
 * What every provider flag promises (the port in services/core/ports/flags.ts), whichever adapter
 * holds it: it answers the engine it was set to, for every engine the product knows, and reading
 * it again without a change gives the same answer.
 */
import type { ProviderFlag } from '../../services/core/ports/flags.js';
import { ENGINE_NAMES, type EngineName } from '../../services/core/shared/engines.js';

/** A flag set to `engine` (the adapter's own way: a parameter, the environment). */
export type MakeProviderFlag = (engine: EngineName) => Promise<ProviderFlag>;

export function describeProviderFlagContract(name: string, makeSubject: MakeProviderFlag): void {
  describe(`provider flag contract: ${name}`, () => {
    test.each(ENGINE_NAMES)('answers %s when set to it', async (engine) => {
      const flag = await makeSubject(engine);
      expect(await flag.current()).toBe(engine);
    });

    test('reading it again without a change gives the same engine', async () => {
      const flag = await makeSubject(ENGINE_NAMES[ENGINE_NAMES.length - 1] as EngineName);
      const first = await flag.current();
      expect(await flag.current()).toBe(first);
    });

    test('concurrent reads agree', async () => {
      const flag = await makeSubject(ENGINE_NAMES[0]);
      const answers = await Promise.all([flag.current(), flag.current(), flag.current()]);
      expect(new Set(answers)).toEqual(new Set([ENGINE_NAMES[0]]));
    });
  });
}
