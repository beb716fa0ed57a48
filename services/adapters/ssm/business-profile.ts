import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { ProfileReader } from '../../core/shared/cached-business-profile.js';

/**
 * Reads the business profile from an SSM String parameter (`BUSINESS_PROFILE_PARAMETER`), which the
 * owner edits in Parameter Store without a deploy. A parameter that does not exist yet means "no
 * profile"; any other failure is thrown for `CachedBusinessProfile` to log and fall back on.
 */
export function ssmProfileReader(
  parameterName: string,
  client: SSMClient = new SSMClient({}),
): ProfileReader {
  return async () => {
    try {
      const { Parameter } = await client.send(new GetParameterCommand({ Name: parameterName }));
      return Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  };
}
