import { ConfigurationError, parseConfig } from '../../lib/config.js';
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
