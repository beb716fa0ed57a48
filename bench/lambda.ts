/**
 * `npm run bench:lambda`: every Lambda bundled as the stack bundles it (lib/house-function.ts:
 * esbuild, node24, CJS, minified, source maps, `@aws-sdk/*` external since the runtime ships it), its
 * size, and for the call-path webhooks the cold start: a fresh Node process with the function's
 * environment (NODE_OPTIONS=--enable-source-maps as the stack sets it) loads the bundle and answers
 * one signed request against DynamoDB (dynalite on loopback) and a PostgREST stand-in for the CRM.
 * The time is from process start (Node's time origin) to the answer; each start is repeated and the
 * median and best reported. Targets: /twilio/inbound and /twilio/outbound answered ≤ 150 ms, bundles
 * ≤ 400 KB. Writes bench/results/lambda.json and prints a table; exits 1 if a target is missed.
 *
 *   npm run bench:lambda                 5 cold starts per webhook
 *   npm run bench:lambda -- --runs 10 --out <dir>
 *   npm run bench:lambda -- --cpu-prof  writes a .cpuprofile of each cold start
 *   npm run bench:lambda -- --node-options ''   the cold start without the stack's --enable-source-maps
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { FUNCTION_TABLE } from '../lib/lambda-functions';
import { ensureCallTable } from '../services/adapters/dynamodb/call-table';
import { createDynamoClients } from '../services/adapters/dynamodb/clients';
import { callTableStores } from '../services/adapters/dynamodb/stores';
import { startEmbeddedDynamo } from '../services/local/embedded-dynamodb';
import { formEvent, signForm, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../test/support/twilio';
import { PRODUCTION_BUNDLE } from './production-bundle';

const TARGETS = { coldStartMs: 150, bundleKB: 400 };
const COLD_START_ROUTES = ['/twilio/inbound', '/twilio/outbound'];
const PUBLIC_URL = 'https://api.bolt-voice.test';
const TABLE = 'bolt-voice-bench-calls';
const ROOT = join(__dirname, '..');

/** Refuses a wrong command line with one line naming what is wrong (exit 2), not a stack trace. */
function refuse(message: string): never {
  process.stderr.write(`npm run bench:lambda: ${message}\n`);
  process.exit(2);
}

function commandLine() {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string', default: '5' },
        out: { type: 'string' },
        'cpu-prof': { type: 'boolean', default: false },
        'node-options': { type: 'string', default: '--enable-source-maps' },
      },
    }).values;
  } catch (error) {
    return refuse((error as Error).message);
  }
}
const args = commandLine();
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  refuse(`--runs: a whole number of cold starts from 1 to 100, not ${args.runs}`);
}
const outDir = args.out ?? join(__dirname, 'results');

interface Bundle {
  id: string;
  entry: string;
  route?: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Bundles one function exactly as HouseFunction's NodejsFunction does. */
async function bundle(spec: (typeof FUNCTION_TABLE)[number], dir: string): Promise<Bundle> {
  const file = join(dir, spec.id, 'index.js');
  await build({
    ...PRODUCTION_BUNDLE,
    entryPoints: [join(ROOT, spec.entry)],
    external: ['@aws-sdk/*'],
    outfile: file,
    logLevel: 'error',
  });
  const code = readFileSync(file);
  return {
    id: spec.id,
    entry: spec.entry,
    route: 'route' in spec ? spec.route?.path : undefined,
    file,
    bytes: statSync(file).size,
    gzipBytes: gzipSync(code).length,
  };
}

function signedFormEvent(path: string, params: Record<string, string>, query = ''): APIGatewayProxyEventV2 {
  const url = `${PUBLIC_URL}${path}${query ? `?${query}` : ''}`;
  const event = formEvent(path, params, { 'x-twilio-signature': signForm(url, params) });
  if (!query) return event;
  return {
    ...event,
    rawQueryString: query,
    queryStringParameters: Object.fromEntries(new URLSearchParams(query)),
  };
}

let sidCounter = 0x20000000;
const nextCallSid = () => `CA${(++sidCounter).toString(16).padStart(32, '0')}`;

/** The request a webhook gets, with whatever state it needs already in the table. */
async function requestFor(
  route: string,
  stores: ReturnType<typeof callTableStores>,
): Promise<APIGatewayProxyEventV2> {
  const callSid = nextCallSid();
  if (route === '/twilio/inbound') {
    return signedFormEvent(route, {
      AccountSid: TEST_ACCOUNT_SID,
      CallSid: callSid,
      From: '+15551230555',
      To: '+15550001111',
      CallStatus: 'ringing',
      Direction: 'inbound',
    });
  }
  // An answered outbound call: the request that placed it is in the table, as POST /calls left it.
  const key = `bench-${callSid.slice(-12)}`;
  await stores.outboundRequests.create({
    idempotencyKey: key,
    to: '+15551230555',
    from: '+15550001111',
    reason: 'Follow up on the quote',
    provider: 'elevenlabs',
    createdAt: Date.now(),
  });
  await stores.outboundRequests.markPlaced(key, callSid);
  return signedFormEvent(
    route,
    { AccountSid: TEST_ACCOUNT_SID, CallSid: callSid, AnsweredBy: 'human' },
    `requestId=${key}`,
  );
}

/** The child: load the bundle, answer one request, report the times since process start. */
const CHILD = `
const started = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const loaded = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
mod.handler(event).then((result) => {
  const answered = performance.now();
  const cpu = process.cpuUsage();
  process.send({ started, loaded, answered, cpuMs: (cpu.user + cpu.system) / 1000, status: result.statusCode, body: String(result.body).slice(0, 120) }, () => process.exit(0));
}, (error) => { process.send({ error: String(error && error.stack || error) }, () => process.exit(1)); });
`;

interface ColdStart {
  totalMs: number;
  /** CPU time of the process from its start to the answer: what a quiet machine's wall time approaches. */
  cpuMs: number;
  bootMs: number;
  loadMs: number;
  firstRequestMs: number;
  status: number;
}

async function coldStart(
  b: Bundle,
  env: NodeJS.ProcessEnv,
  event: APIGatewayProxyEventV2,
): Promise<ColdStart> {
  const profile = args['cpu-prof']
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${join(outDir, 'lambda-profiles')}`,
        `--cpu-prof-name=${b.id}-${Date.now()}.cpuprofile`,
      ]
    : [];
  const child = spawn(process.execPath, [...profile, '-e', CHILD], {
    env: { ...env, BENCH_BUNDLE: b.file, BENCH_EVENT: JSON.stringify(event) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [report] = (await once(child, 'message')) as [
    {
      started: number;
      loaded: number;
      answered: number;
      cpuMs: number;
      status: number;
      body: string;
      error?: string;
    },
  ];
  await once(child, 'exit');
  if (report.error) throw new Error(`${b.id} failed: ${report.error}`);
  if (report.status !== 200) throw new Error(`${b.id} answered ${report.status}: ${report.body}`);
  return {
    totalMs: report.answered,
    cpuMs: report.cpuMs,
    bootMs: report.started,
    loadMs: report.loaded - report.started,
    firstRequestMs: report.answered - report.loaded,
    status: report.status,
  };
}

/**
 * The floor under any webhook that writes to DynamoDB with the official SDK: a fresh Node process
 * (the stack's NODE_OPTIONS) that loads `@aws-sdk/client-dynamodb` and `@aws-sdk/lib-dynamodb` and
 * does nothing else. No bundle can answer sooner than this.
 */
const FLOOR_CHILD = `
const started = performance.now();
require('@aws-sdk/client-dynamodb');
require('@aws-sdk/lib-dynamodb');
process.send({ started, loaded: performance.now() }, () => process.exit(0));
`;

async function floorStart(env: NodeJS.ProcessEnv): Promise<{ bootMs: number; sdkMs: number }> {
  const child = spawn(process.execPath, ['-e', FLOOR_CHILD], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [report] = (await once(child, 'message')) as [{ started: number; loaded: number }];
  await once(child, 'exit');
  return { bootMs: report.started, sdkMs: report.loaded - report.started };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const f = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'bolt-lambda-'));
  const bundles: Bundle[] = [];
  for (const spec of FUNCTION_TABLE) {
    process.stderr.write(`[bench:lambda] bundling ${spec.entry}\n`);
    bundles.push(await bundle(spec, dir));
  }

  const dynamo = await startEmbeddedDynamo();
  const { client, doc } = createDynamoClients({ endpoint: dynamo.endpoint });
  await ensureCallTable(client, TABLE);
  const stores = callTableStores(doc, TABLE);
  // The CRM's PostgREST answering at once: the caller is unknown (no row), as most callers are.
  const postgrest = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end('[]');
  });
  await new Promise<void>((resolve) => postgrest.listen(0, '127.0.0.1', resolve));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_PATH: join(ROOT, 'node_modules'), // where the runtime's @aws-sdk/* would be
    NODE_OPTIONS: args['node-options'], // the stack sets --enable-source-maps
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    POWERTOOLS_SERVICE_NAME: 'bolt-voice',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: '+15550001111',
    PUBLIC_URL,
    STREAM_URL: 'wss://voice.bolt-voice.test/media-stream',
    CALL_TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SUPABASE_URL: `http://127.0.0.1:${(postgrest.address() as AddressInfo).port}`,
    SUPABASE_SERVICE_ROLE_KEY: 'bench-service-role',
    ELEVENLABS_API_KEY: 'bench',
    ELEVENLABS_AGENT_ID: 'bench',
  };

  const rows: Array<
    Bundle & {
      coldStart?: {
        medianMs: number;
        bestMs: number;
        cpuMs: number;
        loadMs: number;
        firstRequestMs: number;
        bootMs: number;
      };
    }
  > = [];
  try {
    for (const b of bundles) {
      if (!b.route || !COLD_START_ROUTES.includes(b.route)) {
        rows.push(b);
        continue;
      }
      const starts: ColdStart[] = [];
      for (let i = 0; i < runs; i++) {
        starts.push(await coldStart(b, env, await requestFor(b.route, stores)));
        process.stderr.write(
          `[bench:lambda] ${b.route} cold start ${i + 1}/${runs}: ${f(starts.at(-1)!.totalMs)} ms\n`,
        );
      }
      rows.push({
        ...b,
        coldStart: {
          medianMs: median(starts.map((s) => s.totalMs)),
          bestMs: Math.min(...starts.map((s) => s.totalMs)),
          cpuMs: median(starts.map((s) => s.cpuMs)),
          bootMs: median(starts.map((s) => s.bootMs)),
          loadMs: median(starts.map((s) => s.loadMs)),
          firstRequestMs: median(starts.map((s) => s.firstRequestMs)),
        },
      });
    }
  } finally {
    client.destroy();
    await dynamo.close();
    await new Promise((resolve) => postgrest.close(resolve));
  }

  const floors: Array<{ bootMs: number; sdkMs: number }> = [];
  for (let i = 0; i < runs; i++) floors.push(await floorStart(env));
  const floor = {
    bootMs: median(floors.map((x) => x.bootMs)),
    sdkMs: median(floors.map((x) => x.sdkMs)),
    totalMs: median(floors.map((x) => x.bootMs + x.sdkMs)),
  };
  const floorLine = `Floor (no bundle): node boot ${f(floor.bootMs)} ms + loading the DynamoDB SDK ${f(floor.sdkMs)} ms = ${f(floor.totalMs)} ms before any request.`;

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, node ${process.version}`;
  const header =
    '| function | route | bundle KB (gzip) | cold start to answer, median / best ms | CPU ms to answer | node boot / load bundle / first request ms |';
  const lines = [header, '| --- | --- | --: | --: | --: | --: |'];
  const checks: Array<{ name: string; met: boolean }> = [];
  for (const r of rows) {
    const kb = r.bytes / 1000;
    const cold = r.coldStart;
    lines.push(
      `| ${r.id} | ${r.route ?? '(schedule)'} | ${kb.toFixed(0)} (${(r.gzipBytes / 1000).toFixed(0)}) | ${cold ? `${f(cold.medianMs)} / ${f(cold.bestMs)}` : ''} | ${cold ? f(cold.cpuMs) : ''} | ${cold ? `${f(cold.bootMs)} / ${f(cold.loadMs)} / ${f(cold.firstRequestMs)}` : ''} |`,
    );
    if (r.route && COLD_START_ROUTES.includes(r.route)) {
      checks.push({
        name: `${r.route} bundle ${kb.toFixed(0)} KB ≤ ${TARGETS.bundleKB} KB`,
        met: kb <= TARGETS.bundleKB,
      });
      checks.push({
        name: `${r.route} cold start median ${f(cold?.medianMs ?? Number.NaN)} ms ≤ ${TARGETS.coldStartMs} ms`,
        met: (cold?.medianMs ?? Number.POSITIVE_INFINITY) <= TARGETS.coldStartMs,
      });
    }
  }
  const date = new Date().toISOString();
  const load = loadavg()[0]?.toFixed(2);
  const table = lines.join('\n');
  writeFileSync(
    join(outDir, 'lambda.json'),
    `${JSON.stringify({ date, machine, loadAverage: loadavg(), runs, rows, floor, checks }, null, 2)}\n`,
  );
  writeFileSync(
    join(outDir, 'lambda.md'),
    `Lambda bundles and cold starts, ${date.slice(0, 16).replace('T', ' ')} UTC, ${machine}, load average ${load}\n\n${table}\n\n${floorLine}\n`,
  );
  process.stdout.write(
    `\nLambda bundles and cold starts (${date}, ${machine}, load average ${load})\n\n${table}\n\n${floorLine}\n\n`,
  );
  for (const c of checks) process.stdout.write(`${c.met ? 'ok    ' : 'MISSED'} ${c.name}\n`);
  process.exit(checks.every((c) => c.met) ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
