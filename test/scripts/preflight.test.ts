import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { GetHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/house-function.js';
import { reportLine } from '../../scripts/ops/deployment.js';
import {
  certificateCovers,
  checkConfiguration,
  readBoltVoiceContext,
  runPreflight,
} from '../../scripts/preflight.js';
import { REQUIRED_SECRET_KEYS } from '../../services/core/shared/secret-keys.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const BRIDGE_CERT = 'arn:aws:acm:eu-west-2:210987654321:certificate/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const API_CERT = 'arn:aws:acm:eu-west-2:210987654321:certificate/1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9';

/** An operator's cdk.json values: real-looking names, no sample value. */
const RAW = {
  stage: 'prod',
  bridgeDomainName: 'voice.boltplumbing.co.uk',
  certificateArn: BRIDGE_CERT,
  hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'boltplumbing.co.uk' },
  api: { domainName: 'hooks.boltplumbing.co.uk', certificateArn: API_CERT },
  twilioPhoneNumber: '+442071838750',
  business: { name: 'Bolt Plumbing', timeZone: 'Europe/London' },
  ownerEmail: 'owner@boltplumbing.co.uk',
  emailFrom: 'Bolt Voice <receptionist@boltplumbing.co.uk>',
  googleCalendarId: 'bookings@boltplumbing.co.uk',
  alarmEmail: 'alerts@boltplumbing.co.uk',
};
const config = parseConfig(RAW);

const GOOD_SECRET = {
  ...Object.fromEntries(REQUIRED_SECRET_KEYS.map((k) => [k, 'set'])),
  TWILIO_ACCOUNT_SID: `AC${'0a'.repeat(16)}`,
  SUPABASE_URL: 'https://abcd.supabase.co',
  GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify({
    client_email: 'sa@p.iam.gserviceaccount.com',
    private_key: 'k',
  }),
};

const acm = mockClient(ACMClient);
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const route53 = mockClient(Route53Client);

function clients() {
  return {
    acm: new ACMClient({ region: 'eu-west-2' }),
    secretsManager: new SecretsManagerClient({ region: 'eu-west-2' }),
    ssm: new SSMClient({ region: 'eu-west-2' }),
    route53: new Route53Client({ region: 'eu-west-2' }),
    now: () => NOW,
  };
}

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

function issued(arn: string, names: string[], notAfter = new Date(NOW + 200 * 86_400_000)) {
  acm.on(DescribeCertificateCommand, { CertificateArn: arn }).resolves({
    Certificate: {
      CertificateArn: arn,
      Status: 'ISSUED',
      DomainName: names[0],
      SubjectAlternativeNames: names,
      NotAfter: notAfter,
    },
  });
}

/** Everything a deploy needs, in place. */
function goodSetup(): void {
  issued(BRIDGE_CERT, ['voice.boltplumbing.co.uk']);
  issued(API_CERT, ['*.boltplumbing.co.uk', 'boltplumbing.co.uk']);
  secrets
    .on(GetSecretValueCommand, { SecretId: 'bolt-voice/prod' })
    .resolves({ SecretString: JSON.stringify(GOOD_SECRET) });
  ssm
    .on(GetParameterCommand, { Name: '/bolt-voice/prod/voice-provider' })
    .resolves({ Parameter: { Value: 'elevenlabs' } });
  ssm.on(GetParameterCommand, { Name: '/bolt-voice/prod/business-profile' }).resolves({
    Parameter: { Value: readFileSync(join(PROJECT_ROOT, 'business-profile.example.json'), 'utf8') },
  });
  route53.on(GetHostedZoneCommand, { Id: 'Z0123456789ABCDEFGHIJ' }).resolves({
    HostedZone: {
      Id: 'Z0123456789ABCDEFGHIJ',
      Name: 'boltplumbing.co.uk.',
      CallerReference: 'r',
      Config: { PrivateZone: false },
    },
  });
  // The zone lists records from the name on: the apex's MX and the next name are not in the way.
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: [{ Name: 'www.boltplumbing.co.uk.', Type: 'CNAME' }],
  });
}

async function lines(): Promise<string[]> {
  return (await runPreflight(clients(), config)).map(reportLine);
}

/** The single FAIL line of a run where one thing is wrong. */
async function onlyFailure(): Promise<string> {
  const failed = (await lines()).filter((l) => l.startsWith('FAIL'));
  expect(failed).toHaveLength(1);
  return failed[0] ?? '';
}

beforeEach(() => {
  for (const mock of [acm, secrets, ssm, route53]) mock.reset();
  goodSetup();
});

describe('npm run preflight', () => {
  test('a good setup: one ok line per check, and it only read', async () => {
    expect(await lines()).toEqual([
      'ok    bridge certificate covers voice.boltplumbing.co.uk: ISSUED',
      'ok    API certificate covers hooks.boltplumbing.co.uk: ISSUED',
      'ok    secret bolt-voice/prod holds every key: 9 keys',
      'ok    provider flag /bolt-voice/prod/voice-provider: elevenlabs',
      'ok    business profile /bolt-voice/prod/business-profile: valid (2 services)',
      'ok    hosted zone Z0123456789ABCDEFGHIJ (boltplumbing.co.uk) can hold voice.boltplumbing.co.uk, hooks.boltplumbing.co.uk: public zone, no record in the way',
    ]);
    const sent = [acm, secrets, ssm, route53].flatMap((m) =>
      m.calls().map((c) => c.args[0].constructor.name),
    );
    for (const command of sent) expect(command).toMatch(/^(Describe|Get|List)/);
  });

  describe('the certificate', () => {
    test('not issued yet: says how to validate it', async () => {
      acm.on(DescribeCertificateCommand, { CertificateArn: BRIDGE_CERT }).resolves({
        Certificate: { Status: 'PENDING_VALIDATION', DomainName: 'voice.boltplumbing.co.uk' },
      });
      expect(await onlyFailure()).toMatch(
        /^FAIL +bridge certificate covers voice\.boltplumbing\.co\.uk: .* is PENDING_VALIDATION — fix: create the DNS validation record/,
      );
    });

    test('for another name', async () => {
      issued(BRIDGE_CERT, ['www.boltplumbing.co.uk', 'boltplumbing.co.uk']);
      expect(await onlyFailure()).toMatch(
        /^FAIL +bridge certificate .* is for www\.boltplumbing\.co\.uk, boltplumbing\.co\.uk — fix: request a certificate for voice\.boltplumbing\.co\.uk/,
      );
    });

    test('expired', async () => {
      issued(BRIDGE_CERT, ['voice.boltplumbing.co.uk'], new Date(NOW - 86_400_000));
      expect(await onlyFailure()).toMatch(
        /^FAIL +bridge certificate .* expired on 2026-12-05 — fix: renew it/,
      );
    });

    test('about to expire: still ok, with a warning', async () => {
      issued(BRIDGE_CERT, ['voice.boltplumbing.co.uk'], new Date(NOW + 10 * 86_400_000));
      expect(await lines()).toContainEqual(
        'ok    bridge certificate covers voice.boltplumbing.co.uk: ISSUED, expires in 10 days: check its renewal',
      );
    });

    test('not in this account or region', async () => {
      acm
        .on(DescribeCertificateCommand, { CertificateArn: API_CERT })
        .rejects(awsError('ResourceNotFoundException', 'Could not find certificate'));
      expect(await onlyFailure()).toMatch(
        /^FAIL +API certificate .*ResourceNotFoundException.* — fix: the ARN must name a certificate of this account in the stack’s region/,
      );
    });

    test('no credentials', async () => {
      acm
        .on(DescribeCertificateCommand, { CertificateArn: BRIDGE_CERT })
        .rejects(awsError('CredentialsProviderError'));
      expect(await onlyFailure()).toMatch(/— fix: check your AWS credentials/);
    });

    test.each([
      ['voice.boltplumbing.co.uk', 'voice.boltplumbing.co.uk', true],
      ['*.boltplumbing.co.uk', 'voice.boltplumbing.co.uk', true],
      ['*.boltplumbing.co.uk', 'a.voice.boltplumbing.co.uk', false],
      ['*.boltplumbing.co.uk', 'boltplumbing.co.uk', false],
      ['boltplumbing.co.uk', 'voice.boltplumbing.co.uk', false],
    ])('%s covers %s: %s', (certificateName, domain, covers) => {
      expect(certificateCovers(certificateName, domain)).toBe(covers);
    });
  });

  describe('the secret', () => {
    test('missing', async () => {
      secrets.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException'));
      expect(await onlyFailure()).toMatch(
        /^FAIL +secret bolt-voice\/prod holds every key: does not exist — fix: npm run setup -- --secret-file/,
      );
    });

    test('a required key missing or empty', async () => {
      secrets.on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({
          ...GOOD_SECRET,
          RESEND_API_KEY: ' ',
          ELEVENLABS_WEBHOOK_SECRET: undefined,
        }),
      });
      expect(await onlyFailure()).toMatch(
        /^FAIL +secret .*: missing or empty: ELEVENLABS_WEBHOOK_SECRET, RESEND_API_KEY — fix: npm run setup/,
      );
    });

    test('values the services would refuse, named and never shown', async () => {
      secrets.on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({
          ...GOOD_SECRET,
          TWILIO_ACCOUNT_SID: 'SK-secret-value',
          SUPABASE_URL: 'abcd.supabase.co',
          GOOGLE_SERVICE_ACCOUNT_JSON: 'not json',
        }),
      });
      const line = await onlyFailure();
      expect(line).toMatch(
        /TWILIO_ACCOUNT_SID is not AC.*; SUPABASE_URL is not an https URL; GOOGLE_SERVICE_ACCOUNT_JSON is not the key file’s JSON/,
      );
      expect(line).not.toContain('SK-secret-value');
    });
  });

  describe('the provider flag and the business profile', () => {
    test('the flag missing', async () => {
      ssm
        .on(GetParameterCommand, { Name: '/bolt-voice/prod/voice-provider' })
        .rejects(awsError('ParameterNotFound'));
      expect(await onlyFailure()).toMatch(
        /^FAIL +provider flag \/bolt-voice\/prod\/voice-provider: does not exist — fix: npm run setup/,
      );
    });

    test('the flag invalid', async () => {
      ssm
        .on(GetParameterCommand, { Name: '/bolt-voice/prod/voice-provider' })
        .resolves({ Parameter: { Value: 'gemini' } });
      expect(await onlyFailure()).toMatch(
        /"gemini" is not elevenlabs or openai — fix: aws ssm put-parameter/,
      );
    });

    test('the profile missing', async () => {
      ssm
        .on(GetParameterCommand, { Name: '/bolt-voice/prod/business-profile' })
        .rejects(awsError('ParameterNotFound'));
      expect(await onlyFailure()).toMatch(
        /^FAIL +business profile \/bolt-voice\/prod\/business-profile: does not exist — fix: aws ssm put-parameter --name \/bolt-voice\/prod\/business-profile --type String/,
      );
    });

    test('the profile invalid', async () => {
      ssm
        .on(GetParameterCommand, { Name: '/bolt-voice/prod/business-profile' })
        .resolves({ Parameter: { Value: JSON.stringify({ about: 'Plumbing', colour: 'blue' }) } });
      expect(await onlyFailure()).toMatch(/^FAIL +business profile .*: invalid: .*colour/);
    });
  });

  describe('the hosted zone', () => {
    test('not found', async () => {
      route53.on(GetHostedZoneCommand).rejects(awsError('NoSuchHostedZone'));
      expect(await onlyFailure()).toMatch(
        /NoSuchHostedZone.* — fix: set hostedZone\.hostedZoneId to a zone of this account/,
      );
    });

    test('another zone than zoneName', async () => {
      route53.on(GetHostedZoneCommand).resolves({
        HostedZone: { Id: 'Z0123456789ABCDEFGHIJ', Name: 'boltplumbing.com.', CallerReference: 'r' },
      });
      expect(await onlyFailure()).toMatch(
        /the zone is boltplumbing\.com — fix: set hostedZone\.hostedZoneId/,
      );
    });

    test('a private zone', async () => {
      route53.on(GetHostedZoneCommand).resolves({
        HostedZone: {
          Id: 'Z0123456789ABCDEFGHIJ',
          Name: 'boltplumbing.co.uk.',
          CallerReference: 'r',
          Config: { PrivateZone: true },
        },
      });
      expect(await onlyFailure()).toMatch(/private zone/);
    });

    test('a record already holding the name (the stack’s alias record would fail late)', async () => {
      route53
        .on(ListResourceRecordSetsCommand, { StartRecordName: 'voice.boltplumbing.co.uk' })
        .resolves({ ResourceRecordSets: [{ Name: 'voice.boltplumbing.co.uk.', Type: 'CNAME' }] });
      expect(await onlyFailure()).toMatch(
        /a CNAME record for voice\.boltplumbing\.co\.uk exists already — fix: delete it/,
      );
    });

    test('no hosted zone configured: no check', async () => {
      const { hostedZone: _, ...withoutZone } = RAW;
      const results = await runPreflight(clients(), parseConfig(withoutZone));
      expect(results.map((r) => r.name).some((n) => n.startsWith('hosted zone'))).toBe(false);
      expect(route53.calls()).toHaveLength(0);
    });
  });

  describe('the configuration', () => {
    test('a deployable one', () => {
      expect(reportLine(checkConfiguration(RAW).result)).toBe(
        'ok    configuration (boltVoice in cdk.json): stage prod, region eu-west-2',
      );
    });

    test('the sample cdk.json is refused for its sample values', () => {
      const { result, config: parsed } = checkConfiguration(
        readBoltVoiceContext(join(PROJECT_ROOT, 'cdk.json')),
      );
      expect(parsed).toBeUndefined();
      expect(reportLine(result)).toMatch(
        /^FAIL +configuration .*: sample values: certificateArn: 111111111111 is an example account; bridgeDomainName: voice\.example\.com is an example domain.* — fix: replace them/,
      );
    });

    test('an invalid one names its problems', () => {
      expect(reportLine(checkConfiguration({ ...RAW, twilioPhoneNumber: '020 7183 8750' }).result)).toMatch(
        /^FAIL +configuration .*twilioPhoneNumber: must be an E\.164 phone number.* — fix: correct the values named/,
      );
    });
  });
});
