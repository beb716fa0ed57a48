/**
 * The bridge's process handlers, in a real Node process (tsx): a stray promise rejection must not
 * end the process (every call on the task would drop with it), and SIGTERM stops it on its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHUTDOWN_MODULE = join(__dirname, '..', '..', 'services', 'bridge', 'shutdown.ts');

/** Runs `body` as a TypeScript module in a fresh Node process; its exit code and output. */
function runScript(body: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-process-'));
  const file = join(dir, 'script.ts');
  writeFileSync(file, body);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

const STRAY_REJECTION = `
  void Promise.reject(new Error('a stray rejection'));
  setTimeout(() => {
    console.log('still serving');
    process.exit(0);
  }, 300);
`;

const HANDLERS = `
  import { installProcessHandlers } from ${JSON.stringify(SHUTDOWN_MODULE)};
  const stopped: string[] = [];
  installProcessHandlers(process, {
    bridge: {
      activeCalls: () => 0,
      shutdown: async () => {
        stopped.push('calls ended');
      },
    },
    stopServing: async () => {
      stopped.push('server closed');
    },
    exit: (code) => {
      console.log('exit', code, stopped.join(', '));
      process.exit(code);
    },
  });
`;

test('without the handlers a stray rejection ends the process (the control)', () => {
  const { code, out } = runScript(STRAY_REJECTION);
  expect(code).toBe(1);
  expect(out).not.toContain('still serving');
});

test('with the bridge handlers a stray rejection is logged and the process keeps serving', () => {
  const { code, out } = runScript(`${HANDLERS}\n${STRAY_REJECTION}`);
  expect(out).toContain('A promise rejection nobody handled');
  expect(out).toContain('still serving');
  expect(code).toBe(0);
});

test('SIGTERM ends the calls, then closes the server, then exits 0 on its own', () => {
  const { code, out } = runScript(
    `${HANDLERS}\nprocess.kill(process.pid, 'SIGTERM');\nsetTimeout(() => {}, 5000);`,
  );
  expect(out).toContain('exit 0 calls ended, server closed');
  expect(code).toBe(0);
});
