import { readFile } from 'node:fs/promises';
import { ssmProfileReader } from '../../adapters/ssm/business-profile.js';
import type { BusinessProfileSource } from '../../core/ports/flags.js';
import { CachedBusinessProfile, type ProfileReader } from '../../core/shared/cached-business-profile.js';
import type { Config } from '../../core/shared/config.js';
import type { AdapterMode } from './adapter-choices.js';

/** A JSON file the owner edits (`BUSINESS_PROFILE_FILE`, the local stack); a missing file means none. */
export function fileProfileReader(path: string): ProfileReader {
  return async () => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
}

/**
 * Where the business profile comes from: the SSM parameter in AWS, the file locally. With neither,
 * the local stack uses `localDefault` (the demo business, which the simulated engines' script asks
 * about) and AWS calls go without a profile (the agent offers an owner follow-up).
 */
export function businessProfileFor(
  config: Pick<Config, 'businessProfileParameter' | 'businessProfileFile'>,
  mode: AdapterMode,
  localDefault?: ProfileReader,
): BusinessProfileSource | undefined {
  if (config.businessProfileParameter)
    return new CachedBusinessProfile(ssmProfileReader(config.businessProfileParameter), {
      where: `ssm:${config.businessProfileParameter}`,
    });
  if (config.businessProfileFile)
    return new CachedBusinessProfile(fileProfileReader(config.businessProfileFile), {
      where: `file:${config.businessProfileFile}`,
    });
  if (mode === 'local' && localDefault)
    return new CachedBusinessProfile(localDefault, {
      where: 'the demo business (BUSINESS_PROFILE_FILE unset)',
    });
  return undefined;
}
