import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type IStringParameter, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { parameterNames } from './config.js';

export { SECRET_KEYS, type SecretKey } from '../services/core/shared/secret-keys.js';

/** `/bolt-voice/<stage>/voice-provider`. */
export function providerParameterName(stage: string): string {
  return parameterNames(stage).providerFlag;
}

export interface SettingsProps {
  readonly stage: string;
  readonly secretName: string;
}

/**
 * What an operator changes at run time: the provider flag and the keys in the secret. Both exist
 * before the first deploy (`npm run setup` creates them) and the template only refers to them by
 * name, so the template holds no secret value, no deploy can blank a key or reset a flag the
 * operator flipped, and deleting or rolling back the stack leaves them in place.
 */
export class Settings extends Construct {
  public readonly providerFlag: IStringParameter;
  /**
   * The business profile the agent answers from (JSON, docs/features.md). Referenced, not created: the
   * owner creates and edits it (`aws ssm put-parameter`), so a deploy never overwrites their text.
   */
  public readonly businessProfile: IStringParameter;
  public readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: SettingsProps) {
    super(scope, id);
    this.providerFlag = StringParameter.fromStringParameterName(
      this,
      'VoiceProvider',
      providerParameterName(props.stage),
    );
    this.secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);

    // The owner's business profile: created and edited by the owner (docs/deploy.md, step 8), only read here, so
    // no deploy overwrites what they wrote.
    this.businessProfile = StringParameter.fromStringParameterName(
      this,
      'BusinessProfile',
      parameterNames(props.stage).businessProfile,
    );
  }
}
