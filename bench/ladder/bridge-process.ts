/**
 * The process under test, started by the ladder (pinned to its own core where `taskset` exists):
 * `ours` runs the local stack exactly as `npm start` does (webhooks, dynalite, the bridge) in front of
 * the load generator's engine; `relay` runs the bare relay. It reports over IPC: its address once
 * listening, then its CPU time and memory whenever asked (after a full GC when asked to collect).
 */
import type { AddressInfo } from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { PUBLIC_URL } from './public-url';

export type ChildRequest =
  | { type: 'usage'; collect: boolean; id: number; heapSnapshot?: string }
  | { type: 'exit' };
export interface ChildUsage {
  type: 'usage';
  id: number;
  cpuMicros: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
export type ChildReport = { type: 'ready'; url: string } | ChildUsage;

const [mode, engineApiUrl, dynamodbEndpoint, protocol] = process.argv.slice(2);
const send = (report: ChildReport) => process.send?.(report);

async function main(): Promise<void> {
  let url: string;
  let close: () => Promise<void>;
  // Each side loads only its own modules (the relay must not pay for ours' module graph). A side's
  // bundle (side-bundles.ts) defines BENCH_SIDE, so the other side's branch and imports are dropped.
  if (process.env.BENCH_SIDE !== 'relay' && mode === 'ours') {
    const { startLocalApp } = await import('../../services/local/app.js');
    const { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } = await import('../../test/support/twilio.js');
    const app = await startLocalApp(
      {
        PORT: '0',
        PUBLIC_URL,
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_PHONE_NUMBER: '+15550001111',
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
        LOCAL_OUTBOX_DIR: '/tmp/bolt-bench-outbox',
        ELEVENLABS_API_KEY: 'bench',
        ELEVENLABS_AGENT_ID: 'bench',
        ELEVENLABS_API_URL: engineApiUrl ?? '',
        OPENAI_API_KEY: 'bench',
        // The load generator's engine speaks both protocols; `protocol` chooses which the calls use.
        OPENAI_REALTIME_URL: `${(engineApiUrl ?? '').replace(/^http/, 'ws')}/v1/realtime`,
        VOICE_PROVIDER: protocol === 'openai' ? 'openai' : 'elevenlabs',
        // Time enough for a starved machine not to turn slow starts into failovers (the bench measures
        // the relay, not the timeout).
        ENGINE_CONNECT_TIMEOUT_MS: '10000',
        // DynamoDB is a remote service in production: here it runs in the load generator's process.
        ...(dynamodbEndpoint ? { DYNAMODB_ENDPOINT: dynamodbEndpoint } : {}),
      },
      { host: '127.0.0.1' },
    );
    url = app.stack.url;
    close = () => app.close();
  } else if (process.env.BENCH_SIDE !== 'ours' && mode === 'relay') {
    const { startRelay } = await import('./relay.js');
    const server = startRelay(engineApiUrl ?? '', protocol === 'openai' ? 'openai' : 'elevenlabs');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (request: ChildRequest) => {
    if (request.type === 'exit') {
      void close().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
      return;
    }
    if (request.collect) gc?.();
    if (request.heapSnapshot) writeHeapSnapshot(request.heapSnapshot);
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    send({
      type: 'usage',
      id: request.id,
      cpuMicros: cpu.user + cpu.system,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
    });
  });
  send({ type: 'ready', url });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
