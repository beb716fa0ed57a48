/**
 * `npm run demo`: no keys needed. Starts the local stack with simulated engines, a simulated Twilio
 * REST API and the embedded CRM, calendar and outbox; places a simulated call with recorded audio
 * (a caller asking about the service, then booking a demo); prints the transcript, the tool calls,
 * the booking and the email that would be sent.
 *
 * `npm run demo -- --against http://127.0.0.1:3000` places the same simulated call to a local stack
 * already running (`npm start` with the `.env` it was started with), and prints what it heard.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import type { MemoryCalendar } from '../adapters/memory/calendar.js';
import { OutboxMailer } from '../adapters/memory/outbox-mailer.js';
import { ConfigError, loadConfig } from '../core/shared/config.js';
import { type LocalApp, startLocalApp } from './app.js';
import { loadClip, silence } from './sim/audio.js';
import { openStream, placeCall, sendStatusCallback, type TwilioCallStream } from './sim/twilio-caller.js';
import { startTwilioRestSim } from './sim/twilio-rest.js';

const DEMO_ENV = {
  PORT: '0',
  PUBLIC_URL: 'https://bolt-voice.demo',
  TWILIO_ACCOUNT_SID: 'ACDEADBEEFDEADBEEFDEADBEEFDEADBEEF',
  TWILIO_AUTH_TOKEN: 'demo-auth-token',
  TWILIO_PHONE_NUMBER: '+15550001111',
  BUSINESS_NAME: 'Bolt',
  BUSINESS_TIMEZONE: 'America/New_York',
  BUSINESS_HOURS: 'mon-fri 09:00-17:00',
  OWNER_EMAIL: 'owner@example.com',
  OWNER_PHONE: '+15550009999',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};
const CALLER = '+15551234567';

const print = (line = '') => process.stdout.write(`${line}\n`);

/** The simulated caller: hello, the agent's answer, the booking request, hang up. Returns the caller audio's bytes. */
async function converse(stream: TwilioCallStream): Promise<number> {
  const greeting = loadClip('agent-greeting').length;
  await stream.waitForAudio(greeting, 10_000);
  const hello = Buffer.concat([loadClip('caller-hello'), silence(2000)]);
  await stream.sendAudio(hello, { paced: false });
  await stream.waitForAudio(2 * greeting, 10_000);
  const booking = Buffer.concat([loadClip('caller-booking'), silence(2000)]);
  await stream.sendAudio(booking, { paced: false });
  await stream.waitForAudio(2 * greeting + loadClip('agent-confirm').length, 15_000);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the agent's last transcript follows its audio
  await stream.hangUp();
  return hello.length + booking.length;
}

async function callInto(baseUrl: string, publicUrl: string, accountSid: string, authToken: string) {
  const callSid = `CA${Date.now().toString(16).padStart(32, '0')}`;
  const answer = await placeCall({
    baseUrl,
    publicUrl,
    accountSid,
    authToken,
    from: CALLER,
    to: '+15550001111',
    callSid,
  });
  if (!answer.twiml) throw new Error(`POST /twilio/inbound answered ${answer.status}: ${answer.body}`);
  print(`☎  ${CALLER} calls; the webhook answers with a <Connect><Stream> to ${answer.twiml.streamUrl}`);
  const stream = await openStream({
    streamUrl: answer.twiml.streamUrl,
    connectTo: `${baseUrl.replace(/^http/, 'ws')}/media-stream`,
    authToken,
    accountSid,
    callSid,
    parameters: answer.twiml.parameters,
  });
  const callerBytes = await converse(stream);
  // Twilio's status callback: finalisation writes the CRM row and emails the owner.
  const status = await sendStatusCallback({
    baseUrl,
    publicUrl,
    accountSid,
    authToken,
    callSid,
    from: CALLER,
    to: '+15550001111',
    callStatus: 'completed',
    // The simulated caller sends its audio faster than real time: count the call as long as its audio.
    callDurationSeconds: Math.round((stream.receivedBytes + callerBytes) / 8000),
  });
  print(`   call completed; POST /twilio/status answered ${status.status}`);
  print(
    `   caller heard ${(stream.receivedBytes / 8000).toFixed(1)} s of agent audio; ${stream.violations.length} protocol violations`,
  );
  return callSid;
}

async function report(app: LocalApp, callSid: string, outboxDir: string): Promise<void> {
  let record = await app.stack.sessions.get(callSid);
  for (let i = 0; i < 50 && record?.session.status !== 'ended'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    record = await app.stack.sessions.get(callSid);
  }
  print(
    `\nEngine: ${record?.session.servedBy ?? record?.session.provider} (flag: ${record?.session.provider}); session ${record?.session.status}`,
  );
  const latency = record?.session.turnLatency;
  print(
    latency
      ? `Turn latency (caller stops speaking → first agent audio): p50 ${latency.p50Ms} ms, p90 ${latency.p90Ms} ms over ${latency.turns} turns`
      : 'Turn latency: no answered turn',
  );
  print('\nTranscript');
  for (const turn of record?.turns ?? [])
    print(`  ${turn.role === 'caller' ? 'Caller' : 'Agent '}: ${turn.text}`);
  print('\nTool calls');
  for (const tool of record?.toolCalls ?? []) {
    print(`  ${tool.name}(${JSON.stringify(tool.args)})`);
    print(`    → ${tool.result.ok ? '' : '[error] '}${tool.result.text}`);
  }
  print('\nBooking');
  for (const event of (app.adapters.calendar as MemoryCalendar).events()) {
    print(
      `  calendar: "${event.summary}" ${new Date(event.start).toISOString()} – ${new Date(event.end).toISOString()}`,
    );
  }
  const day = 86_400_000;
  for (const appointment of await app.adapters.crm.appointmentsBetween(Date.now() - day, Date.now() + day)) {
    print(
      `  CRM: appointment for ${appointment.name} (${appointment.phone}, ${appointment.email ?? 'no email'})`,
    );
  }
  print('\nEmail');
  for (const message of await OutboxMailer.read(outboxDir)) {
    print(`  To: ${message.to}\n  Subject: ${message.subject}\n${message.text.replace(/^/gm, '    ')}\n`);
  }
}

async function demo(): Promise<void> {
  const outboxDir = await mkdtemp(join(tmpdir(), 'bolt-demo-'));
  const twilioRest = await startTwilioRestSim({
    accountSid: DEMO_ENV.TWILIO_ACCOUNT_SID,
    authToken: DEMO_ENV.TWILIO_AUTH_TOKEN,
  });
  const provider = process.env.VOICE_PROVIDER === 'openai' ? 'openai' : 'elevenlabs';
  const app = await startLocalApp(
    { ...DEMO_ENV, VOICE_PROVIDER: provider, LOCAL_OUTBOX_DIR: outboxDir, TWILIO_API_URL: twilioRest.url },
    { host: '127.0.0.1' },
  );
  try {
    print(
      `Bolt Voice demo: local stack on ${app.stack.url}, simulated engines (${app.engines.simulated.join(', ')}), provider ${provider}\n`,
    );
    const callSid = await callInto(
      app.stack.url,
      DEMO_ENV.PUBLIC_URL,
      DEMO_ENV.TWILIO_ACCOUNT_SID,
      DEMO_ENV.TWILIO_AUTH_TOKEN,
    );
    await report(app, callSid, outboxDir);
  } finally {
    await app.close();
    await twilioRest.close();
    await rm(outboxDir, { recursive: true, force: true });
  }
}

async function against(baseUrl: string): Promise<void> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  if (!process.env.TWILIO_AUTH_TOKEN) {
    // Without a .env, `npm start` makes up a Twilio auth token per run, which nothing else can sign with.
    throw new UsageError(
      '--against signs the call with the Twilio values of the .env the running stack uses, and there are none here.\n' +
        'With no .env, `npm start` makes up its Twilio token per run: talk to it from the softphone at ' +
        `the softphone link it printed (${baseUrl}/phone?key=…) instead, or run \`npm run demo\` on its own.`,
    );
  }
  const config = loadConfig(process.env);
  print(`Placing a simulated call to the local stack at ${baseUrl} (signed for ${config.publicUrl})`);
  await callInto(baseUrl, config.publicUrl, config.twilio.accountSid, config.twilio.authToken);
  print('Done: see the stack’s log for the call, and its outbox for the email.');
}

/** A mistake in how the demo was run: its message says what to do, no stack trace. */
class UsageError extends Error {}

const target = process.argv.indexOf('--against');
const run = target >= 0 ? against(process.argv[target + 1] ?? 'http://127.0.0.1:3000') : demo();
run.then(
  () => process.exit(0),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof ConfigError;
    process.stderr.write(`${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(1);
  },
);
