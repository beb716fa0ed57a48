import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type IStringParameter, ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/**
 * Keys of the one secret (DESIGN §3 Secrets). The Lambdas read the whole JSON; the bridge task gets
 * each key as an ECS secret, and ECS refuses to start a task whose key is missing, so every key is
 * created (empty) with the secret. Adding a key here: add it to the deployed secret's JSON first,
 * because CloudFormation rewrites the whole value when this template changes.
 */
export const SECRET_KEYS = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'ELEVENLABS_API_KEY',
  'ELEVENLABS_AGENT_ID',
  'ELEVENLABS_WEBHOOK_SECRET',
  'OPENAI_API_KEY',
  'SUPABASE_URL',
  'SUPABASE_SERVICE_ROLE_KEY',
  'GOOGLE_SERVICE_ACCOUNT_JSON',
  'RESEND_API_KEY',
] as const;

export type SecretKey = (typeof SECRET_KEYS)[number];

export const VOICE_PROVIDERS_PATTERN = '^(elevenlabs|openai)$';

export interface SettingsProps {
  readonly stage: string;
}

/** What an operator changes at run time: the provider flag, and the keys in the secret. */
export class Settings extends Construct {
  public readonly providerFlag: IStringParameter;
  /**
   * The business profile the agent answers from (JSON, see README). Referenced, not created: the
   * owner creates and edits it (`aws ssm put-parameter`), so a deploy never overwrites their text.
   */
  public readonly businessProfile: IStringParameter;
  public readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: SettingsProps) {
    super(scope, id);

    this.providerFlag = new StringParameter(this, 'VoiceProvider', {
      parameterName: `/bolt-voice/${props.stage}/voice-provider`,
      description:
        'Voice engine for new calls: elevenlabs (default) or openai. Read per call, cached <= 10 s.',
      stringValue: 'elevenlabs',
      allowedPattern: VOICE_PROVIDERS_PATTERN,
      tier: ParameterTier.STANDARD,
    });

    this.businessProfile = StringParameter.fromStringParameterName(
      this,
      'BusinessProfile',
      `/bolt-voice/${props.stage}/business-profile`,
    );

    // The template holds only the key names with empty values; the operator fills them in the
    // console or with `aws secretsmanager put-secret-value` (see the README). Nothing secret is synthesized.
    const secret = new Secret(this, 'Secret', {
      description: `Bolt Voice (${props.stage}) provider, Twilio, Supabase, Google and Resend keys`,
      secretObjectValue: Object.fromEntries(SECRET_KEYS.map((key) => [key, SecretValue.unsafePlainText('')])),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The values are third-party API keys (Twilio, ElevenLabs, OpenAI, Supabase, Google, Resend) that can only be rotated at each provider; the operator rotates them there and updates the secret (README runbook).',
    });
    this.secret = secret;
  }
}
