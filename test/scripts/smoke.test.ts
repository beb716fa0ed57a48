import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { reportLine } from '../../scripts/ops/deployment.js';
import { REQUIRED_OUTPUTS, runSmoke } from '../../scripts/smoke.js';
import { COUNTED_LOG_MESSAGES, REFUSAL_LOG_MESSAGES } from '../../services/core/shared/metric-names.js';
import { routeKey, webhookRoutes } from '../../services/core/shared/routes.js';
import { REQUIRED_SECRET_KEYS } from '../../services/core/shared/secret-keys.js';
import { type LocalApp, startLocalApp } from '../../services/local/app.js';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, testEnv } from '../support/twilio.js';

const cloudformation = mockClient(CloudFormationClient);
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const ecs = mockClient(ECSClient);
const deps = () => ({
  cloudformation: new CloudFormationClient({}),
  secretsManager: new SecretsManagerClient({}),
  ssm: new SSMClient({}),
  ecs: new ECSClient({}),
  timeoutMs: 5000,
});

/** The stack's outputs, pointing at the local stack (its webhook routes and /health are the same). */
function outputsFor(baseUrl: string): Record<string, string> {
  const outputs: Record<string, string> = Object.fromEntries(REQUIRED_OUTPUTS.map((k) => [k, `value-${k}`]));
  return {
    ...outputs,
    PublicUrl: baseUrl,
    BridgeHealthUrl: `${baseUrl}/health`,
    SecretName: 'bolt-voice/dev',
    ProviderParameterName: '/bolt-voice/dev/voice-provider',
    BridgeClusterName: 'cluster',
    BridgeServiceName: 'bolt-voice-dev-bridge',
  };
}

function deployed(outputs: Record<string, string>) {
  cloudformation.on(DescribeStacksCommand, { StackName: 'BoltVoice-dev' }).resolves({
    Stacks: [
      {
        StackName: 'BoltVoice-dev',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

/** A port nothing listens on yet, so the local stack's PUBLIC_URL can be its own address. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The deployed secret, holding the keys the local stack verifies with. */
const SECRET = {
  ...Object.fromEntries(REQUIRED_SECRET_KEYS.map((k) => [k, 'x'])),
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  ELEVENLABS_WEBHOOK_SECRET: 'whsec_test',
};

describe('npm run smoke', () => {
  let app: LocalApp;
  beforeAll(async () => {
    // Configured as a deployment is: PUBLIC_URL is where the requests go (the signatures cover it),
    // and the post-call webhook has its secret (else it answers 503).
    const port = await freePort();
    app = await startLocalApp(
      testEnv({
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ELEVENLABS_WEBHOOK_SECRET: SECRET.ELEVENLABS_WEBHOOK_SECRET,
      }),
    );
  });
  afterAll(() => app.close());
  beforeEach(() => {
    for (const mock of [cloudformation, secrets, ssm, ecs]) mock.reset();
  });

  afterEach(() => jest.restoreAllMocks());

  test('passes every check against a healthy deployment (the local stack behind mocked AWS APIs)', async () => {
    deployed(outputsFor(app.stack.url));
    secrets.on(GetSecretValueCommand, { SecretId: 'bolt-voice/dev' }).resolves({
      SecretString: JSON.stringify(SECRET),
    });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const error = jest.spyOn(Logger.prototype, 'error');
    ssm
      .on(GetParameterCommand, { Name: '/bolt-voice/dev/voice-provider' })
      .resolves({ Parameter: { Value: 'openai' } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 1, desiredCount: 1 }] });

    const results = await runSmoke(deps(), 'BoltVoice-dev');
    const lines = results.map(reportLine);

    expect(lines.filter((l) => !l.startsWith('ok'))).toEqual([]);
    // One line per check: outputs, health, each webhook route, secret, flag, service.
    expect(results).toHaveLength(5 + webhookRoutes().length);
    for (const [, route] of webhookRoutes()) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          route.auth === 'iam'
            ? new RegExp(`^ok +${routeKey(route)} refuses an unsigned request: 40[13]$`)
            : new RegExp(`^ok +${routeKey(route)} accepts a signed request: (400|200) \\(signature verified`),
        ),
      );
    }
    // It never pages: no webhook refused a signature (the WebhookSignatureRefusals alarm's lines),
    // and it acted on nothing (no call session, nothing finalised).
    // Nor any other counted line (the fallback URL's included).
    const messages = [...warn.mock.calls, ...error.mock.calls].map(([message]) => message);
    for (const counted of [...Object.values(REFUSAL_LOG_MESSAGES), ...Object.values(COUNTED_LOG_MESSAGES)]) {
      expect(messages).not.toContain(counted);
    }
    expect(await app.stack.recentSessions(10)).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ok +\/health through the load balancer: 200 \{"status":"ok"/),
    );
  });

  test('names each failure with its fix', async () => {
    const dead = 'http://127.0.0.1:9'; // nothing listens on the discard port
    deployed({ ...outputsFor(app.stack.url), BridgeHealthUrl: `${dead}/health` });
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ TWILIO_ACCOUNT_SID: 'AC1' }) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'gemini' } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 0, desiredCount: 1 }] });

    const lines = (await runSmoke(deps(), 'BoltVoice-dev')).map(reportLine);

    expect(lines).toContainEqual(
      expect.stringMatching(/^FAIL +\/health through the load balancer: .* — fix: create the DNS record/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +secret bolt-voice\/dev holds every required key: missing or empty: TWILIO_AUTH_TOKEN, .* — fix: npm run setup/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +provider flag \/bolt-voice\/dev\/voice-provider: "gemini" is not elevenlabs or openai — fix: aws ssm put-parameter/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +bridge service running: 0 of 1 tasks running — fix: aws ecs describe-services/,
      ),
    );
  });

  test('fails a route that is missing, broken, refuses our signature, or takes an unsigned POST /calls', async () => {
    deployed(outputsFor('https://api.example.test'));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'elevenlabs' } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 1, desiredCount: 1 }] });
    const statusByPath: Record<string, number> = {
      '/twilio/inbound': 500,
      '/twilio/status': 404,
      '/twilio/outbound': 403,
      '/elevenlabs/post-call': 401,
      '/calls': 202,
    };
    const fakeFetch = (async (url: string | URL) => {
      const path = new URL(String(url)).pathname;
      return new Response(path === '/health' ? '{"status":"ok"}' : '', {
        status: statusByPath[path] ?? (path === '/health' ? 200 : 400),
      });
    }) as typeof fetch;

    const lines = (await runSmoke({ ...deps(), fetch: fakeFetch }, 'BoltVoice-dev')).map(reportLine);

    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +POST \/twilio\/inbound .* 500 — fix: the function fails before it verifies/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^FAIL +POST \/twilio\/status .* 404 — fix: the route is missing/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^FAIL +POST \/calls .* 202 — fix: an unsigned request was accepted/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +POST \/twilio\/outbound accepts a signed request: .* 403 — fix: the function refused our signature: it verifies against PUBLIC_URL/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +POST \/elevenlabs\/post-call .* 401 — fix: the function refused our signature: ELEVENLABS_WEBHOOK_SECRET/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ok +POST \/twilio\/dial-result accepts a signed request: 400/),
    );
  });

  test('sends nothing unsigned to a webhook: without the keys to sign with, the check fails unsent', async () => {
    deployed(outputsFor('https://api.example.test'));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ OPENAI_API_KEY: 'x' }) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'elevenlabs' } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 1, desiredCount: 1 }] });
    const sent: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      sent.push(new URL(String(url)).pathname);
      return new Response('{"status":"ok"}', { status: 200 });
    }) as typeof fetch;

    const lines = (await runSmoke({ ...deps(), fetch: fakeFetch }, 'BoltVoice-dev')).map(reportLine);

    expect(sent.sort()).toEqual(['/calls', '/health']);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +POST \/twilio\/inbound accepts a signed request: not sent: the secret has no TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to sign with — fix: npm run setup/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^FAIL +POST \/elevenlabs\/post-call .*no ELEVENLABS_WEBHOOK_SECRET to sign with/,
      ),
    );
  });

  test('a stack that does not exist is one FAIL line saying where to look', async () => {
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(new Error('Stack with id BoltVoice-prod does not exist'));
    const lines = (await runSmoke(deps(), 'BoltVoice-prod')).map(reportLine);
    expect(lines).toEqual([
      expect.stringMatching(
        /^FAIL +stack outputs: Stack with id BoltVoice-prod does not exist — fix: check your AWS credentials .*--stack and --region/,
      ),
    ]);
  });
});
