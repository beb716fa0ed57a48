import { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SsmProviderFlag } from '../../../services/adapters/ssm/provider-flag.js';

const PARAMETER = '/bolt-voice/test/voice-provider';
const ssmMock = mockClient(SSMClient);

function parameter(value: string) {
  return { Parameter: { Name: PARAMETER, Type: 'String' as const, Value: value, Version: 1 } };
}

function setUp(cacheMs?: number) {
  let clock = 1_000_000;
  const log = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const errors = jest.spyOn(log, 'error');
  const flag = new SsmProviderFlag({
    parameterName: PARAMETER,
    client: new SSMClient({ region: 'us-east-1' }),
    cacheMs,
    now: () => clock,
    logger: log,
  });
  return {
    flag,
    errors,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

beforeEach(() => ssmMock.reset());

describe('SsmProviderFlag', () => {
  it('reads the parameter and serves it from the cache within 10 s', async () => {
    // Prepare
    ssmMock.on(GetParameterCommand, { Name: PARAMETER }).resolves(parameter('openai'));
    const { flag, advance } = setUp();

    // Act
    const first = await flag.current();
    advance(9_999);
    const second = await flag.current();

    // Assess
    expect([first, second]).toEqual(['openai', 'openai']);
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: PARAMETER });
  });

  it('refreshes after the cache expires and picks up a flip', async () => {
    // Prepare
    ssmMock.on(GetParameterCommand).resolvesOnce(parameter('elevenlabs')).resolvesOnce(parameter('openai'));
    const { flag, advance } = setUp();

    // Act
    const before = await flag.current();
    advance(10_000);
    const after = await flag.current();

    // Assess
    expect(before).toBe('elevenlabs');
    expect(after).toBe('openai');
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it('honours a shorter configured cache, and never caches longer than 10 s', async () => {
    // Prepare
    ssmMock.on(GetParameterCommand).resolves(parameter('openai'));
    const short = setUp(1_000);
    const long = setUp(60_000);

    // Act
    await short.flag.current();
    short.advance(1_000);
    await short.flag.current();
    await long.flag.current();
    long.advance(10_000);
    await long.flag.current();

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 4);
  });

  it('shares one request between concurrent callers during a refresh', async () => {
    // Prepare
    let release: () => void = () => undefined;
    ssmMock.on(GetParameterCommand).callsFake(
      () =>
        new Promise((resolve) => {
          release = () => resolve(parameter('openai'));
        }),
    );
    const { flag } = setUp();

    // Act
    const reads = [flag.current(), flag.current(), flag.current()];
    await new Promise((resolve) => setImmediate(resolve));
    release();

    // Assess
    expect(await Promise.all(reads)).toEqual(['openai', 'openai', 'openai']);
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('falls back to the last good value on an invalid value, logging one error', async () => {
    // Prepare
    ssmMock.on(GetParameterCommand).resolvesOnce(parameter('openai')).resolves(parameter('OpenAI GPT'));
    const { flag, errors, advance } = setUp();

    // Act
    const good = await flag.current();
    const values: string[] = [];
    for (let i = 0; i < 3; i++) {
      advance(10_000);
      values.push(await flag.current());
    }

    // Assess
    expect(good).toBe('openai');
    expect(values).toEqual(['openai', 'openai', 'openai']);
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 4);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![1]).toMatchObject({
      parameter: PARAMETER,
      problem: expect.stringContaining('OpenAI GPT'),
      fallback: 'openai',
    });
  });

  it('falls back to elevenlabs when the parameter is not found and nothing was read before', async () => {
    // Prepare
    ssmMock
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'Parameter not found', $metadata: {} }));
    const { flag, errors, advance } = setUp();

    // Act
    const first = await flag.current();
    advance(10_000);
    const second = await flag.current();

    // Assess
    expect([first, second]).toEqual(['elevenlabs', 'elevenlabs']);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![1]).toMatchObject({ problem: expect.stringContaining('ParameterNotFound') });
  });

  it('logs again when the failure changes, and recovers when the value is good again', async () => {
    // Prepare
    ssmMock
      .on(GetParameterCommand)
      .rejectsOnce(new ParameterNotFound({ message: 'Parameter not found', $metadata: {} }))
      .resolvesOnce(parameter('bogus'))
      .resolvesOnce(parameter('openai'))
      .resolvesOnce(parameter('bogus'));
    const { flag, errors, advance } = setUp();

    // Act
    const values: string[] = [];
    for (let i = 0; i < 4; i++) {
      values.push(await flag.current());
      advance(10_000);
    }

    // Assess
    expect(values).toEqual(['elevenlabs', 'elevenlabs', 'openai', 'openai']);
    expect(errors).toHaveBeenCalledTimes(3);
  });
});
