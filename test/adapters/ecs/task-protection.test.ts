import { TaskProtection } from '../../../services/adapters/ecs/task-protection.js';
import { logger } from '../../../services/core/shared/logging.js';
import { COUNTED_LOG_MESSAGES } from '../../../services/core/shared/metric-names.js';
import { startRecordingServer } from '../../support/recording-server.js';
import { waitUntil } from '../../support/wait-until.js';

/** A stand-in for the ECS agent's task protection endpoint: records each PUT body. */
async function startAgent() {
  const server = await startRecordingServer(200, { protection: {} });
  const bodies = () =>
    server.requests
      .filter((r) => r.method === 'PUT' && r.path === '/task-protection/v1/state')
      .map((r) => JSON.parse(r.body) as unknown);
  return {
    uri: server.baseUrl,
    get requests() {
      return bodies();
    },
    server,
  };
}

describe('TaskProtection', () => {
  let agent: Awaited<ReturnType<typeof startAgent>>;
  beforeEach(async () => {
    agent = await startAgent();
  });
  afterEach(() => agent.server.close());

  test('protects on the first call, once however many calls follow, and releases after the last', async () => {
    const protection = new TaskProtection({ agentUri: agent.uri, expiresInMinutes: 60 });
    await protection.update(1);
    await protection.update(2);
    await protection.update(1);
    await protection.update(0);
    expect(agent.requests).toEqual([
      { ProtectionEnabled: true, ExpiresInMinutes: 60 },
      { ProtectionEnabled: false },
    ]);
    protection.stop();
  });

  test('renews the protection while calls are live, and stops renewing when they end', async () => {
    const protection = new TaskProtection({ agentUri: agent.uri, expiresInMinutes: 60, renewEveryMs: 20 });
    await protection.update(3);
    await waitUntil(() => agent.requests.length >= 3, 'three requests to the agent');
    expect(agent.requests.slice(0, 3)).toEqual(
      Array.from({ length: 3 }, () => ({ ProtectionEnabled: true, ExpiresInMinutes: 60 })),
    );
    await protection.update(0);
    const afterRelease = agent.requests.length;
    expect(agent.requests.at(-1)).toEqual({ ProtectionEnabled: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.requests).toHaveLength(afterRelease);
  });

  test('a refused request is retried on the next change, and outside ECS nothing is sent', async () => {
    let calls = 0;
    const failing: typeof fetch = async () => {
      calls += 1;
      return new Response('', { status: calls === 1 ? 500 : 200 });
    };
    const protection = new TaskProtection({ agentUri: 'http://agent', fetchImpl: failing });
    await protection.update(1);
    await protection.update(2);
    expect(calls).toBe(2);
    protection.stop();

    const outside = new TaskProtection({ agentUri: undefined });
    await expect(outside.update(1)).resolves.toBeUndefined();
    outside.stop();
  });
});

describe('TaskProtection failures', () => {
  afterEach(() => jest.restoreAllMocks());

  test('a refused switch-on logs the counted line (TaskProtectionFailures), a refused switch-off another', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const protection = new TaskProtection({
      agentUri: 'http://agent.invalid',
      fetchImpl: async () => new Response('no', { status: 500 }),
    });
    await protection.update(1);
    expect(error.mock.calls.map(([message]) => message)).toEqual([COUNTED_LOG_MESSAGES.taskProtectionNotSet]);
    error.mockClear();
    // Not protected, so switching off has nothing to do; force the state to test the off path.
    const on = new TaskProtection({
      agentUri: 'http://agent.invalid',
      fetchImpl: async (_url, init) =>
        new Response('', { status: String(init?.body).includes('"ProtectionEnabled":true') ? 200 : 500 }),
    });
    await on.update(1);
    await on.update(0);
    expect(error.mock.calls.map(([message]) => message)).toEqual([
      'Could not switch ECS task scale-in protection off',
    ]);
    protection.stop();
    on.stop();
  });
});
