import { Match } from 'aws-cdk-lib/assertions';
import { SECRET_KEYS } from '../../lib/settings.js';
import { logicalId, resourcesOfType, template } from './fixture.js';

describe('call table', () => {
  it('is on demand with TTL on expiresAt and point-in-time recovery, and is retained', () => {
    template().hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
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
            DeletionProtectionEnabled: true,
          }),
        ],
      },
    });
  });
});

describe('settings', () => {
  it('holds the provider flag at /bolt-voice/<stage>/voice-provider, elevenlabs by default, only the two engines allowed', () => {
    template().hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/bolt-voice/test/voice-provider',
      Type: 'String',
      Value: 'elevenlabs',
      AllowedPattern: '^(elevenlabs|openai)$',
    });
    const pattern = new RegExp(String(resourcesOfType('AWS::SSM::Parameter')[0]?.[1].AllowedPattern));
    expect(['elevenlabs', 'openai'].every((v) => pattern.test(v))).toBe(true);
    expect(['ElevenLabs', 'gemini', 'openai ', ''].some((v) => pattern.test(v))).toBe(false);
  });

  it('creates the one secret with every key and no value, and keeps it when the stack goes', () => {
    const [[, secret]] = resourcesOfType('AWS::SecretsManager::Secret') as [
      [string, Record<string, unknown>],
    ];
    const value = JSON.parse(String(secret.SecretString)) as Record<string, string>;
    expect(Object.keys(value).sort()).toEqual([...SECRET_KEYS].sort());
    expect(Object.values(value).every((v) => v === '')).toBe(true);
    template().hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
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

  it('passes secret keys to functions and the task only as references to the secret', () => {
    const secretId = logicalId('AWS::SecretsManager::Secret', 'SettingsSecret');
    for (const [, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const key of SECRET_KEYS) expect(env).not.toHaveProperty(key);
    }
    const [[, task]] = resourcesOfType('AWS::ECS::TaskDefinition') as [[string, Record<string, unknown>]];
    const [container] = task.ContainerDefinitions as Array<{
      Environment: Array<{ Name: string }>;
      Secrets: Array<{ Name: string; ValueFrom: unknown }>;
    }>;
    expect(container?.Environment.map((e) => e.Name)).toEqual(
      expect.not.arrayContaining([...SECRET_KEYS] as string[]),
    );
    expect(container?.Secrets.map((s) => s.Name).sort()).toEqual([...SECRET_KEYS].sort());
    for (const s of container?.Secrets ?? []) {
      expect(s.ValueFrom).toEqual({ 'Fn::Join': ['', [{ Ref: secretId }, `:${s.Name}::`]] });
    }
  });
});
