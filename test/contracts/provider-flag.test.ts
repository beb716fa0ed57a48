import { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { StaticProviderFlag } from '../../services/adapters/memory/static-provider-flag.js';
import { SsmProviderFlag } from '../../services/adapters/ssm/provider-flag.js';
import { describeProviderFlagContract } from './provider-flag.contract.js';

const PARAMETER = '/bolt-voice/test/voice-provider';
const ssmMock = mockClient(SSMClient);
afterEach(() => ssmMock.reset());

describeProviderFlagContract(
  'StaticProviderFlag (local stack)',
  async (engine) => new StaticProviderFlag(engine),
);

describeProviderFlagContract('SsmProviderFlag (AWS, SSM stood in by aws-sdk-client-mock)', async (engine) => {
  ssmMock
    .on(GetParameterCommand, { Name: PARAMETER })
    .resolves({ Parameter: { Name: PARAMETER, Type: 'String', Value: engine, Version: 1 } });
  return new SsmProviderFlag({
    parameterName: PARAMETER,
    client: new SSMClient({ region: 'us-east-1' }),
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  });
});
