/**
 * `npm start` as a newcomer runs it: a fresh directory with no .env. It serves the softphone and
 * the calls page, prints the banner and the generated key once; a malformed value that is set
 * still stops it, naming the value.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitUntil } from '../support/wait-until';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'services', 'local', 'main.ts');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Only what a shell has: none of the project's settings leak in from the test process. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, POWERTOOLS_LOG_LEVEL: 'WARN', ...extra };
}

function run(cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(TSX, [MAIN], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return { child, output: () => output };
}

describe('npm start in a fresh directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('with no .env it serves /phone and /calls and shows what is simulated', async () => {
    const port = await freePort();
    const { child, output } = run(dir, bareEnv({ PORT: String(port) }));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      await waitUntil(() => output().includes('Authorization: Bearer'), output, 45_000);
      const text = output();
      expect(text).toContain(`Talk to the agent   http://localhost:${port}/phone`);
      expect(text).toMatch(/ElevenLabs\s+simulated.*ELEVENLABS_API_KEY \+ ELEVENLABS_AGENT_ID/);
      expect(text).toMatch(/Twilio\s+simulated/);
      const key = /Authorization: Bearer (\S+)/.exec(text)?.[1] ?? '';
      expect(text.split(key)).toHaveLength(2); // printed once, never logged
      const pageKey = /\/phone\?key=(\S+)/.exec(text)?.[1] ?? '';
      expect(text).toContain(`http://localhost:${port}/calls?key=${pageKey}`);
      for (const path of ['/phone', '/calls']) {
        // Without this run's key the pages answer nothing; the printed link sets it as a cookie.
        expect((await fetch(`http://localhost:${port}${path}`)).status).toBe(403);
        const opened = await fetch(`http://localhost:${port}${path}?key=${pageKey}`, { redirect: 'manual' });
        expect(opened.status).toBe(303);
        const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
        expect((await fetch(`http://localhost:${port}${path}`, { headers: { cookie } })).status).toBe(200);
      }
      // The generated key opens POST /calls (validation answers, not the key check).
      const placed = await fetch(`http://localhost:${port}/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(placed.status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  test('a malformed value in .env stops the start, naming it', async () => {
    writeFileSync(join(dir, '.env'), 'BUSINESS_TIMEZONE=Mars/Olympus\nOPENAI_API_KEY=sk-from-dotenv\n');
    const { child, output } = run(dir, bareEnv({ PORT: String(await freePort()) }));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(output()).toContain('BUSINESS_TIMEZONE must be an IANA time zone');
    expect(output()).not.toContain('sk-from-dotenv');
  }, 60_000);
});
