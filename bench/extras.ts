/**
 * The bench's second part, after the ladder: failover time and `/twilio/inbound` latency, in this
 * process, through the real local stack (loopback sockets, dynalite, simulated engines).
 */
import { performance } from 'node:perf_hooks';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket from 'ws';
import type { MemoryCrm } from '../services/adapters/memory/crm';
import { type LocalApp, startLocalApp } from '../services/local/app';
import { placeCall } from '../services/local/sim/twilio-caller';
import { mediaStreamAddress } from '../test/e2e/harness';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../test/support/twilio';
import { startEchoEngine } from './echo-engine';

const TARGETS = {
  failoverMs: 500, // engine refused → audio flowing on the other engine
  inboundP95Ms: 50, // POST /twilio/inbound, known caller looked up in the CRM
};

const PUBLIC_URL = 'https://bolt-voice.test';
const tools = { definitions: () => [], run: async () => ({ ok: true, text: '' }) };

async function startApp(env: Record<string, string>): Promise<LocalApp> {
  return startLocalApp(
    {
      PORT: '0',
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: '+15550001111',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      LOCAL_OUTBOX_DIR: '/tmp/bolt-bench-outbox',
      ...env,
    },
    { host: '127.0.0.1', tools },
  );
}

let sidCounter = 0;
const nextSid = () => `CA${(++sidCounter).toString(16).padStart(32, '0')}`;

/** A signed POST /twilio/inbound for a new call from `from`, as Twilio sends it. */
function inboundWebhook(app: LocalApp, from: string, callSid = nextSid()) {
  return placeCall({
    baseUrl: app.stack.url,
    publicUrl: PUBLIC_URL,
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
    from,
    to: '+15550001111',
    callSid,
  });
}

/** A raw Twilio media stream (no validation overhead on the measuring side). */
async function openCall(app: LocalApp, from = '+15551230001'): Promise<WebSocket & { streamSid: string }> {
  const callSid = nextSid();
  const answer = await inboundWebhook(app, from, callSid);
  if (!answer.twiml) throw new Error(`inbound answered ${answer.status}`);
  const ws = new WebSocket(mediaStreamAddress(app.stack), {
    headers: {
      'X-Twilio-Signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, answer.twiml.streamUrl, {}),
    },
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const streamSid = `MZ${callSid.slice(2)}`;
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid,
      start: {
        accountSid: TEST_ACCOUNT_SID,
        streamSid,
        callSid,
        tracks: ['inbound'],
        customParameters: answer.twiml.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  return Object.assign(ws, { streamSid });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Time from the stream's start to the first agent audio, with the chosen engine refusing. */
async function failover(runs: number) {
  const refusing = await startEchoEngine({ refuse: true });
  const { startOpenAiSim } = await import('../services/local/sim/openai-server.js');
  const openai = await startOpenAiSim({ apiKey: 'bench' });
  const app = await startApp({
    ELEVENLABS_API_KEY: 'bench',
    ELEVENLABS_AGENT_ID: 'echo',
    ELEVENLABS_API_URL: refusing.apiUrl,
    OPENAI_API_KEY: 'bench',
    OPENAI_REALTIME_URL: openai.url,
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const ws = await openCall(app);
      const session = await openai.nextSession(5000);
      const firstAudio = new Promise<number>((resolve) => {
        ws.on('message', (data) => {
          if (data.toString().includes('"event":"media"')) resolve(performance.now());
        });
      });
      await session.waitForEvent('response.create', 1, 5000);
      void session.respond({ text: 'hello', audio: Buffer.alloc(160, 0x55) });
      times.push((await firstAudio) - started);
      ws.close();
    }
  } finally {
    await app.close();
    await openai.close();
    await refusing.close();
  }
  times.sort((a, b) => a - b);
  return { runs, p50: percentile(times, 50), max: times.at(-1) ?? Number.NaN };
}

/** `runs` signed POST /twilio/inbound from `from`, timed one after the other; sorted milliseconds. */
async function timeInbound(app: LocalApp, from: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const answer = await inboundWebhook(app, from);
    if (answer.status !== 200) throw new Error(`inbound answered ${answer.status}`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** POST /twilio/inbound latency with and without a CRM lookup of a known caller. */
async function inbound(runs: number) {
  const app = await startApp({
    ELEVENLABS_API_KEY: 'bench',
    ELEVENLABS_AGENT_ID: 'echo',
    ELEVENLABS_API_URL: 'http://127.0.0.1:9',
  });
  try {
    await (app.adapters.crm as MemoryCrm).upsertCustomer({ phone: '+15551230555', name: 'Maria Lopez' });
    const unknown = await timeInbound(app, '+15551230666', runs);
    const known = await timeInbound(app, '+15551230555', runs);
    return {
      runs,
      unknownP50: percentile(unknown, 50),
      knownP50: percentile(known, 50),
      knownP95: percentile(known, 95),
      lookupCostP50: percentile(known, 50) - percentile(unknown, 50),
    };
  } finally {
    await app.close();
  }
}

/**
 * The same webhook with the CRM in Supabase: a PostgREST stand-in on loopback answers the three
 * lookups (customer; then next appointment and last call, in parallel) after `rttMs`, standing in
 * for the network round trip to the Supabase region.
 */
async function inboundSupabase(runs: number, rttMs: number) {
  const { createServer } = await import('node:http');
  const rows: Record<string, unknown> = {
    customers: {
      id: '7f1c2d9e-0000-4000-8000-000000000001',
      phone: '+15551230555',
      name: 'Maria Lopez',
      email: null,
      business: null,
    },
    appointments: { starts_at: new Date(Date.now() + 86_400_000).toISOString() },
    calls: { summary: 'Asked for a quote for a boiler.' },
  };
  const postgrest = createServer((req, res) => {
    const table = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/vnd.pgrst.object+json' });
      res.end(JSON.stringify(rows[table] ?? null));
    }, rttMs);
  });
  await new Promise<void>((resolve) => postgrest.listen(0, '127.0.0.1', resolve));
  const address = postgrest.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const app = await startApp({
    ELEVENLABS_API_KEY: 'bench',
    ELEVENLABS_AGENT_ID: 'echo',
    ELEVENLABS_API_URL: 'http://127.0.0.1:9',
    SUPABASE_URL: url,
    SUPABASE_SERVICE_ROLE_KEY: 'bench-service-role',
  });
  try {
    const times = await timeInbound(app, '+15551230555', runs);
    return { runs, rttMs, p50: percentile(times, 50), p95: percentile(times, 95) };
  } finally {
    await app.close();
    await new Promise((resolve) => postgrest.close(resolve));
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

export interface ExtraRow {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

export async function runExtras(): Promise<ExtraRow[]> {
  const failoverResult = await failover(10);
  const inboundResult = await inbound(200);
  const supabaseResult = await inboundSupabase(50, 20);
  const row = (name: string, value: string, target = '', met = true): ExtraRow => ({
    name,
    value,
    target,
    met,
  });
  return [
    row(
      `failover: refused → audio on the other engine, p50 (${failoverResult.runs} calls)`,
      `${fmt(failoverResult.p50)} ms`,
    ),
    row(
      'failover max',
      `${fmt(failoverResult.max)} ms`,
      `≤ ${TARGETS.failoverMs} ms`,
      failoverResult.max <= TARGETS.failoverMs,
    ),
    row(
      `/twilio/inbound p50, unknown caller (${inboundResult.runs} calls)`,
      `${fmt(inboundResult.unknownP50)} ms`,
    ),
    row('/twilio/inbound p50, known caller (CRM lookup)', `${fmt(inboundResult.knownP50)} ms`),
    row(
      '/twilio/inbound p95, known caller',
      `${fmt(inboundResult.knownP95)} ms`,
      `≤ ${TARGETS.inboundP95Ms} ms`,
      inboundResult.knownP95 <= TARGETS.inboundP95Ms,
    ),
    row('caller lookup cost, in-memory CRM (p50 known − unknown)', `${fmt(inboundResult.lookupCostP50)} ms`),
    row(
      `/twilio/inbound p50, Supabase CRM at ${supabaseResult.rttMs} ms per round trip`,
      `${fmt(supabaseResult.p50)} ms`,
    ),
    row(
      '/twilio/inbound p95, Supabase CRM',
      `${fmt(supabaseResult.p95)} ms`,
      '≤ 700 ms',
      supabaseResult.p95 <= 700,
    ),
  ];
}
