import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BRIDGE_NODE_FLAGS } from '../../services/bridge/node-flags.js';

const ROOT = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The container's artefact: `npm run build:bridge` bundles the bridge; the bundle alone must serve /health. */
describe('the bridge bundle', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build:bridge'], { cwd: ROOT, stdio: 'pipe' });
  });

  it('carries a source map of mappings only: stack traces name the TypeScript, no sources are held', () => {
    const map = JSON.parse(readFileSync(join(ROOT, 'dist', 'bridge', 'main.js.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
      mappings: string;
    };
    expect(map.sources).toContain('../../services/bridge/main.ts');
    expect(map.mappings.length).toBeGreaterThan(0);
    expect(map.sourcesContent ?? []).toEqual([]);
  });

  it('starts with the container flags and the AWS configuration, answers /health, and drains on SIGTERM', async () => {
    const port = await freePort();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const child = spawn(process.execPath, [...BRIDGE_NODE_FLAGS, join(ROOT, 'dist', 'bridge', 'main.js')], {
      cwd: join(ROOT, 'dist', 'bridge'),
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        PUBLIC_URL: 'https://api.bolt-voice.test',
        STREAM_URL: 'wss://bridge.bolt-voice.test/media-stream',
        TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
        TWILIO_AUTH_TOKEN: 'test-token',
        TWILIO_PHONE_NUMBER: '+15550001111',
        ELEVENLABS_API_KEY: 'xi-test',
        ELEVENLABS_AGENT_ID: 'agent_test',
        SUPABASE_URL: 'https://crm.bolt-voice.test',
        SUPABASE_SERVICE_ROLE_KEY: 'service-role-test',
        GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify({
          client_email: 'bot@example.iam.gserviceaccount.com',
          private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        }),
        GOOGLE_CALENDAR_ID: 'owner@example.com',
        RESEND_API_KEY: 'resend-test',
        AWS_REGION: 'us-east-1',
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    try {
      let health: Response | undefined;
      for (let attempt = 0; attempt < 100 && !health; attempt++) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (!health) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(health?.status).toBe(200);
      expect(await health?.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    }
  });
});
