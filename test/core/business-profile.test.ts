import { Logger } from '@aws-lambda-powertools/logger';
import { dynamicVariables, NO_PROFILE_TEXT, renderInstructions } from '../../services/core/call/persona.js';
import type { EngineCallContext } from '../../services/core/ports/engine.js';
import { parseBusinessHours } from '../../services/core/shared/business-hours.js';
import {
  type BusinessProfile,
  MAX_PROFILE_BYTES,
  parseBusinessProfile,
  renderBusinessProfile,
} from '../../services/core/shared/business-profile.js';
import { CachedBusinessProfile } from '../../services/core/shared/cached-business-profile.js';
import { DEMO_BUSINESS_PROFILE } from '../../services/local/demo-business-profile.js';
import { demoScript } from '../../services/local/demo-script.js';

const PLUMBER: BusinessProfile = {
  about: 'Emergency and planned plumbing for homes.',
  services: [
    { name: 'Drain cleaning', price: '$150 flat', description: 'any single drain' },
    { name: 'Water heater install' },
  ],
  address: '12 Pipe Lane, Springfield',
  serviceArea: 'Springfield and 20 miles around',
  hours: 'Mon-Sat 7am-7pm',
  policies: ['Cancellations within 24 hours cost $40.'],
  faqs: [{ question: 'Do you give free estimates?', answer: 'Yes, for jobs over $500.' }],
};

const context = (profile?: BusinessProfile): EngineCallContext => ({
  callSid: 'CA1',
  streamSid: 'MZ1',
  direction: 'inbound',
  remoteNumber: '+12025550143',
  businessName: 'Pipe Pros',
  businessTimezone: 'America/New_York',
  now: Date.parse('2026-11-25T15:00:00Z'),
  businessProfile: profile,
  tools: [],
});

describe('parseBusinessProfile', () => {
  it('accepts a full profile and defaults the lists', () => {
    expect(parseBusinessProfile(JSON.stringify(PLUMBER))).toEqual({ ok: true, profile: PLUMBER });
    expect(parseBusinessProfile('{"about":"We fix pipes."}')).toEqual({
      ok: true,
      profile: { about: 'We fix pipes.', services: [], policies: [], faqs: [] },
    });
  });

  it('names every problem: not JSON, unknown keys, empty and too-long fields', () => {
    expect(parseBusinessProfile('{about:')).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^is not JSON/)],
    });
    const bad = parseBusinessProfile(
      JSON.stringify({ about: '', prices: [], services: [{ name: 'x'.repeat(101) }] }),
    );
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems.join('\n');
    expect(problems).toContain('about: must not be empty');
    expect(problems).toMatch(/prices/);
    expect(problems).toContain('services.0.name: at most 100 characters');
  });

  it(`refuses a profile over ${MAX_PROFILE_BYTES} bytes (the SSM Standard-tier limit), counting UTF-8 bytes`, () => {
    const big = JSON.stringify({ about: 'é'.repeat(2100) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_PROFILE_BYTES);
    expect(parseBusinessProfile(big)).toEqual({
      ok: false,
      problems: [`is ${Buffer.byteLength(big)} bytes; the limit is ${MAX_PROFILE_BYTES}`],
    });
  });

  it('the shipped example file and the demo profile are valid and the same', () => {
    const example = require('node:fs').readFileSync(
      `${__dirname}/../../business-profile.example.json`,
      'utf8',
    );
    expect(parseBusinessProfile(example)).toEqual({ ok: true, profile: DEMO_BUSINESS_PROFILE });
  });
});

describe('the profile reaches both engines', () => {
  it('renders every part as plain lines', () => {
    expect(renderBusinessProfile(PLUMBER)).toBe(
      [
        'About: Emergency and planned plumbing for homes.',
        'Services and prices:',
        '- Drain cleaning: $150 flat (any single drain)',
        '- Water heater install: price on request',
        'Address: 12 Pipe Lane, Springfield',
        'Service area: Springfield and 20 miles around',
        'Hours: Mon-Sat 7am-7pm',
        'Policies:',
        '- Cancellations within 24 hours cost $40.',
        'Frequently asked questions:',
        '- Q: Do you give free estimates? A: Yes, for jobs over $500.',
      ].join('\n'),
    );
  });

  it('is the business_profile dynamic variable (ElevenLabs) and part of the instructions (OpenAI)', () => {
    const rendered = renderBusinessProfile(PLUMBER);
    expect(dynamicVariables(context(PLUMBER)).business_profile).toBe(rendered);
    const instructions = renderInstructions(context(PLUMBER));
    expect(instructions).toContain(rendered);
    expect(instructions).toContain('say you will have the owner follow up');
  });

  it('without a profile both engines are told there is nothing on file', () => {
    expect(dynamicVariables(context()).business_profile).toBe(NO_PROFILE_TEXT);
    expect(renderInstructions(context())).toContain(NO_PROFILE_TEXT);
  });
});

describe('CachedBusinessProfile', () => {
  function setUp(reads: Array<string | undefined | Error | 'hang'>) {
    let clock = 1_000_000;
    const log = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const errors = jest.spyOn(log, 'error');
    const warnings = jest.spyOn(log, 'warn');
    let calls = 0;
    const source = new CachedBusinessProfile(
      async () => {
        const next = reads[Math.min(calls++, reads.length - 1)];
        if (next instanceof Error) throw next;
        if (next === 'hang') return new Promise<string>(() => {});
        return next;
      },
      { where: 'test', cacheMs: 60_000, readTimeoutMs: 50, now: () => clock, logger: log },
    );
    return { source, errors, warnings, reads: () => calls, advance: (ms: number) => (clock += ms) };
  }
  const good = JSON.stringify(PLUMBER);

  it('reads once per cache period, shared by concurrent calls', async () => {
    const { source, reads, advance } = setUp([good, JSON.stringify({ about: 'Changed.' })]);
    const [a, b] = await Promise.all([source.current(), source.current()]);
    expect(a).toEqual(PLUMBER);
    expect(b).toBe(a);
    advance(59_999);
    await source.current();
    expect(reads()).toBe(1);
    advance(1);
    expect((await source.current())?.about).toBe('Changed.');
    expect(reads()).toBe(2);
  });

  it('keeps the last good profile through an invalid edit and an outage, logging each problem once', async () => {
    const { source, errors, advance } = setUp([
      good,
      '{"about": ""}',
      '{"about": ""}',
      new Error('throttled'),
    ]);
    expect(await source.current()).toEqual(PLUMBER);
    advance(60_000);
    expect(await source.current()).toEqual(PLUMBER);
    advance(60_000);
    expect(await source.current()).toEqual(PLUMBER);
    advance(60_000);
    expect(await source.current()).toEqual(PLUMBER);
    expect(errors.mock.calls.map((c) => (c[1] as { problem: string }).problem)).toEqual([
      'invalid: about: must not be empty',
      'unreadable: throttled',
    ]);
  });

  it('gives calls no profile when none is stored, and does not keep a call waiting on a slow store', async () => {
    const none = setUp([undefined]);
    expect(await none.source.current()).toBeUndefined();
    expect(none.warnings).toHaveBeenCalledTimes(1);
    const slow = setUp(['hang']);
    expect(await slow.source.current()).toBeUndefined();
    expect(slow.errors.mock.calls[0]?.[1]).toMatchObject({ problem: 'unreadable: no answer within 50 ms' });
  });
});

describe("the demo's question", () => {
  it('asks the price, and the simulated agent answers from the profile it is given', () => {
    const hours = parseBusinessHours('mon-fri 09:00-17:00');
    const [ask] = demoScript(Date.now(), 'America/New_York', hours).turns;
    expect(ask?.callerSays).toContain('What does it cost?');
    expect(ask?.agentSays.text).toContain('$99 a month with 500 call minutes included');
    const plumber = demoScript(Date.now(), 'America/New_York', hours, PLUMBER).turns[0];
    expect(plumber?.agentSays.text).toBe('Our Drain cleaning is $150 flat. Would you like to book a demo?');
    const none = demoScript(Date.now(), 'America/New_York', hours, { ...PLUMBER, services: [] }).turns[0];
    expect(none?.agentSays.text).toContain('I will have the owner follow up');
  });
});
