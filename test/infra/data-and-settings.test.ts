import { Match } from 'aws-cdk-lib/assertions';
import { SECRET_KEYS } from '../../lib/settings.js';
import { resourcesOfType, template } from './fixture.js';

describe('call table', () => {
  it('is on demand with TTL on expiresAt and point-in-time recovery, retained except when its first create rolls back', () => {
    template().hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      },
    });
  });
});

describe('settings', () => {
  it('owns neither the provider flag nor the secret: both are created before the deploy and imported by name', () => {
    // A template that owned them would reset a flag the operator flipped, or blank every key.
    template().resourceCountIs('AWS::SSM::Parameter', 0);
    template().resourceCountIs('AWS::SecretsManager::Secret', 0);
    template().resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
  });
});

describe('no plaintext secret in the template', () => {
  const templateText = () => JSON.stringify(template().toJSON());

  it('has no value that looks like a credential', () => {
    const credentialShapes = [
      /AC[0-9a-f]{32}/, // Twilio account SID
      /sk-[A-Za-z0-9_-]{16,}/, // OpenAI key
      /sk_[0-9a-f]{32,}/, // ElevenLabs key
      /re_[A-Za-z0-9]{16,}/, // Resend key
      /eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/, // JWT (Supabase service role)
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // Google service account
    ];
    for (const shape of credentialShapes) expect(templateText()).not.toMatch(shape);
  });

  it('gives functions and the task only the secret name, never a key', () => {
    const envs = resourcesOfType('AWS::Lambda::Function').map(
      ([, fn]) => (fn.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    const [[, task]] = resourcesOfType('AWS::ECS::TaskDefinition') as [[string, Record<string, unknown>]];
    const [container] = task.ContainerDefinitions as Array<{
      Environment: Array<{ Name: string; Value: unknown }>;
      Secrets?: unknown[];
    }>;
    envs.push(Object.fromEntries((container?.Environment ?? []).map((e) => [e.Name, e.Value])));
    for (const env of envs) {
      for (const key of SECRET_KEYS) expect(env).not.toHaveProperty(key);
      expect(env.SECRETS_ARN).toBe('bolt-voice/test');
    }
    expect(container?.Secrets).toBeUndefined();
  });
});
