import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CDK_SETTINGS } from '../../lib/config-reference';
import { CONFIGURATION_DOC, renderConfigurationReference } from '../../scripts/docs-config';
import { ENV_SETTINGS, OTHER_ENV_SETTINGS } from '../../services/core/shared/config-reference';
import { SECRET_KEYS } from '../../services/core/shared/secret-keys';

// docs/configuration.md is written from the schemas and their descriptions; .env.example is the
// file a newcomer copies. Both must name every setting.
const ROOT = join(__dirname, '..', '..');
const DOCUMENTED = { ...ENV_SETTINGS, ...OTHER_ENV_SETTINGS };

function envExampleNames(): Set<string> {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string));
}

describe('the configuration reference', () => {
  test('docs/configuration.md is what `npm run docs:config` writes (run it after changing a setting)', () => {
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationReference());
  });

  test('covers every setting in .env.example', () => {
    const missing = [...envExampleNames()].filter((name) => !(name in DOCUMENTED));
    expect(missing).toEqual([]);
  });

  test('names only settings that .env.example holds, unless it says why not', () => {
    const example = envExampleNames();
    const absent = Object.entries(DOCUMENTED)
      .filter(([name, doc]) => !example.has(name) && !doc.notInEnvExample)
      .map(([name]) => name);
    expect(absent).toEqual([]);
    const markedButPresent = Object.entries(DOCUMENTED)
      .filter(([name, doc]) => example.has(name) && doc.notInEnvExample)
      .map(([name]) => name);
    expect(markedButPresent).toEqual([]);
  });

  test('says "key of the secret" for exactly the keys of the secret', () => {
    const fromSecret = Object.entries(DOCUMENTED)
      .filter(([, doc]) => doc.inAws === 'secret')
      .map(([name]) => name)
      .sort();
    expect(fromSecret).toEqual([...SECRET_KEYS].sort());
  });

  test('deployment settings name only documented environment settings', () => {
    const unknown = Object.values(CDK_SETTINGS)
      .flatMap((doc) => doc.becomes ?? [])
      .filter((name) => !(name in DOCUMENTED));
    expect(unknown).toEqual([]);
  });
});
