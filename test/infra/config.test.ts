import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, parseConfig, placeholdersAllowed, placeholderValues } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/house-function.js';
import { RAW_CONFIG } from './fixture.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('deployment configuration', () => {
  it('accepts the example and fills the defaults', () => {
    const { bridge: _bridge, ...rest } = RAW_CONFIG;
    const config = parseConfig({ ...rest, business: { name: 'Bolt', timeZone: 'America/New_York' } });
    expect(config.region).toBe('eu-west-1'); // from the certificate
    expect(config.business.hours).toBe('mon-fri 09:00-17:00');
    expect(config.outboundAllowedCountries).toEqual(['GB', 'IE']);
    expect(config.bridge).toEqual({
      cpu: 512,
      memoryMiB: 1024,
      minTasks: 1,
      maxTasks: 4,
      targetCallsPerTask: 60,
    });
    expect(config.secretName).toBe('bolt-voice/test');
    expect(config.apiThrottle).toEqual({ rateLimit: 50, burstLimit: 100 });
  });

  it('accepts the configuration as a JSON string (cdk synth -c boltVoice=...)', () => {
    expect(parseConfig(JSON.stringify(RAW_CONFIG)).stage).toBe('test');
  });

  it('names every problem at once', () => {
    const problems = problemsOf({
      ...RAW_CONFIG,
      twilioPhoneNumber: '555-0100',
      business: { name: 'Bolt', timeZone: 'Mars/Olympus', hours: 'mon-fri 17:00-09:00' },
      outboundAllowedCountries: ['usa'],
      alarmEmail: 'not-an-email',
      unknownKey: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^twilioPhoneNumber: must be an E\.164/),
        expect.stringMatching(/^business\.timeZone: must be an IANA time zone/),
        expect.stringMatching(/^business\.hours: closes before it opens/),
        expect.stringMatching(/^outboundAllowedCountries\.0: must be an ISO 3166/),
        expect.stringMatching(/^alarmEmail: /),
        expect.stringMatching(/unknownKey/),
      ]),
    );
  });

  it('refuses a certificate in another region than the stack', () => {
    expect(problemsOf({ ...RAW_CONFIG, region: 'us-east-1' })).toEqual([
      expect.stringMatching(/^certificateArn: is in eu-west-1 but the stack deploys to us-east-1/),
    ]);
  });

  it('refuses a domain outside the hosted zone, and a missing context', () => {
    expect(problemsOf({ ...RAW_CONFIG, bridgeDomainName: 'voice.elsewhere.example' })).toEqual([
      expect.stringMatching(
        /^bridgeDomainName: voice\.elsewhere\.example is not inside bolt-plumbing\.example/,
      ),
    ]);
    expect(problemsOf(undefined)).toEqual(['the context key boltVoice is missing']);
  });

  it('refuses a bridge with fewer max than min tasks', () => {
    expect(
      problemsOf({ ...RAW_CONFIG, bridge: { ...RAW_CONFIG.bridge, minTasks: 5, maxTasks: 2 } }).join('\n'),
    ).toMatch(/maxTasks must be >= minTasks/);
  });
});

describe('bridge sizes', () => {
  it('refuses a memory size Fargate does not offer for the cpu', () => {
    expect(
      problemsOf({ ...RAW_CONFIG, bridge: { ...RAW_CONFIG.bridge, cpu: 256, memoryMiB: 4096 } }).join('\n'),
    ).toMatch(/memoryMiB is not a Fargate size/);
  });
});

describe('placeholder values', () => {
  const sample = () =>
    (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: { boltVoice: unknown } })
      .context.boltVoice;

  it('finds every sample value of cdk.json: example account and certificate, example domains, a 555 number', () => {
    const found = placeholderValues(parseConfig(sample())).join('\n');
    for (const path of [
      'certificateArn',
      'bridgeDomainName',
      'ownerEmail',
      'emailFrom',
      'alarmEmail',
      'googleCalendarId',
      'twilioPhoneNumber',
    ]) {
      expect(found).toContain(`${path}:`);
    }
    const realAccount = parseConfig({
      ...RAW_CONFIG,
      certificateArn: 'arn:aws:acm:eu-west-1:210987654321:certificate/00000000-0000-0000-0000-000000000000',
    });
    expect(placeholderValues(realAccount).join('\n')).toContain('certificateArn: the sample certificate id');
  });

  it('takes the texts settings: on by default, a Messaging Service SID checked, a 555 sender found', () => {
    expect(parseConfig(RAW_CONFIG).sms).toEqual({ enabled: true });
    expect(() => parseConfig({ ...RAW_CONFIG, sms: { messagingServiceSid: 'MG1' } })).toThrow(
      /sms\.messagingServiceSid/,
    );
    const withSender = parseConfig({ ...RAW_CONFIG, sms: { enabled: true, from: '+15550009999' } });
    expect(placeholderValues(withSender).join('\n')).toContain(
      'sms.from: +15550009999 is a fictional 555 number',
    );
  });

  it('finds nothing in a real configuration', () => {
    const real = parseConfig({
      ...RAW_CONFIG,
      certificateArn: 'arn:aws:acm:eu-west-1:210987654321:certificate/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
      bridgeDomainName: 'voice.boltplumbing.co.uk',
      hostedZone: undefined,
      twilioPhoneNumber: '+442071838750',
      ownerEmail: 'owner@boltplumbing.co.uk',
      emailFrom: 'Bolt Voice <receptionist@boltplumbing.co.uk>',
      alarmEmail: 'alerts@boltplumbing.co.uk',
      googleCalendarId: 'c_1234abcd@group.calendar.google.com',
    });
    expect(placeholderValues(real)).toEqual([]);
  });

  it('are allowed only for the offline check, and never where the CLI has an account (every deploy)', () => {
    expect(placeholdersAllowed('true', undefined)).toBe(true);
    expect(placeholdersAllowed(true, undefined)).toBe(true);
    expect(placeholdersAllowed(undefined, undefined)).toBe(false);
    expect(placeholdersAllowed('true', '210987654321')).toBe(false);
  });

  it('stop the CDK app when it runs for a deploy', () => {
    const run = spawnSync(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['bin/bolt-voice.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_DEFAULT_ACCOUNT: '210987654321',
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-out-')),
        CDK_CONTEXT_JSON: JSON.stringify({ boltVoice: sample(), 'boltVoice:offlineCheck': 'true' }),
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('certificateArn: 111111111111 is an example account');
    expect(run.stderr).toContain('replace the sample value in cdk.json before deploying');
  });
});
