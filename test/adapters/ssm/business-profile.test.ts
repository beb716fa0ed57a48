import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ssmProfileReader } from '../../../services/adapters/ssm/business-profile.js';
import { businessProfileFor, fileProfileReader } from '../../../services/wiring/parts/business-profile.js';

const PARAMETER = '/bolt-voice/test/business-profile';
const ssmMock = mockClient(SSMClient);
beforeEach(() => ssmMock.reset());

describe('the business profile stores', () => {
  it('SSM: reads the parameter; a parameter not created yet means no profile; other errors surface', async () => {
    const read = ssmProfileReader(PARAMETER, new SSMClient({ region: 'us-east-1' }));
    ssmMock
      .on(GetParameterCommand, { Name: PARAMETER })
      .resolvesOnce({
        Parameter: { Name: PARAMETER, Type: 'String', Value: '{"about":"Pipes."}', Version: 3 },
      })
      .rejectsOnce(new ParameterNotFound({ message: 'not found', $metadata: {} }))
      .rejectsOnce(new Error('AccessDeniedException'));
    expect(await read()).toBe('{"about":"Pipes."}');
    expect(await read()).toBeUndefined();
    await expect(read()).rejects.toThrow('AccessDeniedException');
  });

  it('file: reads the file; a missing file means no profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'profile-'));
    try {
      const path = join(dir, 'profile.json');
      expect(await fileProfileReader(path)()).toBeUndefined();
      await writeFile(path, '{"about":"Pipes."}');
      expect(await fileProfileReader(path)()).toBe('{"about":"Pipes."}');
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('chooses the parameter, else the file, else the demo profile locally and none in AWS', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: '{"about":"From SSM."}' } });
    const demo = async () => '{"about":"Demo."}';
    expect(await businessProfileFor({ businessProfileParameter: PARAMETER }, 'aws')?.current()).toMatchObject(
      {
        about: 'From SSM.',
      },
    );
    expect(await businessProfileFor({}, 'local', demo)?.current()).toMatchObject({ about: 'Demo.' });
    expect(businessProfileFor({}, 'aws', demo)).toBeUndefined();
  });
});
