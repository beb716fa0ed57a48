import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signElevenLabsWebhook } from '../../services/adapters/elevenlabs/webhook-signature';
import type { ToolResult, ToolRunner } from '../../services/core/ports/tool-calls';
import type { EngineName } from '../../services/core/shared/engines.js';
import { type LocalApp, startLocalApp } from '../../services/local/app';
import { type ElevenLabsSim, startElevenLabsSim } from '../../services/local/sim/elevenlabs-server';
import { type OpenAiSim, startOpenAiSim } from '../../services/local/sim/openai-server';
import type { ConversationScript } from '../../services/local/sim/script';
import {
  openStream,
  placeCall,
  sendStatusCallback,
  type TwilioCallStream,
} from '../../services/local/sim/twilio-caller';
import { startTwilioRestSim, type TwilioRestSim } from '../../services/local/sim/twilio-rest';
import type { LocalStack } from '../../services/local/stack';
import type { BusinessAdapters } from '../../services/wiring/parts/business-adapters.js';
import { perSuite, readThrough } from '../support/per-suite';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';

export const ELEVENLABS_KEY = 'xi-test-key';
export const AGENT_ID = 'agent_test';
export const OPENAI_KEY = 'sk-test-openai-key';
export const BUSINESS_NUMBER = '+15550001111';
export const WEBHOOK_SECRET = 'wsec_test_post_call_secret';
export const CALLS_API_KEY = 'calls-test-key';
export const OWNER_EMAIL = 'owner@example.com';

/** A tool runner for call-path tests: `lookup_order` answers, `broken` fails, anything else is unknown. */
export function echoTools(): ToolRunner & { calls: Array<{ name: string; args: unknown; callSid: string }> } {
  const calls: Array<{ name: string; args: unknown; callSid: string }> = [];
  return {
    calls,
    definitions: () => [
      {
        name: 'lookup_order',
        description: 'Look an order up.',
        parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
    run: async (invocation): Promise<ToolResult> => {
      calls.push({ name: invocation.name, args: invocation.args, callSid: invocation.callSid });
      if (invocation.name === 'lookup_order')
        return { ok: true, text: `Order ${(invocation.args as { id?: string }).id} ships tomorrow.` };
      return { ok: false, text: `I can't do ${invocation.name}.` };
    },
  };
}

export interface HarnessOptions {
  provider?: EngineName;
  /** Default: a tiny echo tool runner; `'real'` uses the product's tools over the embedded adapters. */
  tools?: ToolRunner | 'real';
  elevenlabs?: Partial<Parameters<typeof startElevenLabsSim>[0]>;
  openai?: Partial<Parameters<typeof startOpenAiSim>[0]>;
  script?: ConversationScript;
  env?: Record<string, string>;
  /** Replaces business adapters of the local app (e.g. a CRM that can go down). */
  adapters?: Partial<BusinessAdapters>;
  /** The local app's clock for the after-call side and outbound calls. */
  now?: () => number;
}

export interface Harness {
  app: LocalApp;
  stack: LocalStack;
  twilioRest: TwilioRestSim;
  elevenlabs: ElevenLabsSim;
  openai: OpenAiSim;
  tools: ToolRunner;
  /** A signed inbound call: the webhook, then the media stream with the TwiML's parameters. */
  call(options?: {
    from?: string;
    callSid?: string;
    /** Twilio's STIR/SHAKEN verdict (default fully attested); `null`: none given. */
    stirVerstat?: string | null;
  }): Promise<{ callSid: string; stream: TwilioCallStream }>;
  /** Twilio's signed status callback for a call to the business number. */
  statusCallback(options: StatusCallbackOptions): ReturnType<typeof sendStatusCallback>;
  /**
   * ElevenLabs' post-call webhook with `body` (see `postCallBody`), signed now with the stack's
   * secret unless another `signature` is given (`null`: unsigned).
   */
  postCall(body: string, signature?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export const PUBLIC_URL = 'https://bolt-voice.test';

/** Where Twilio's requests go and what they are signed with, for the sim's request builders. */
export function signedAsTwilio(harness: Pick<Harness, 'stack'>) {
  return {
    baseUrl: harness.stack.url,
    publicUrl: PUBLIC_URL,
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
  };
}

export type StatusCallbackOptions = Omit<
  Parameters<typeof sendStatusCallback>[0],
  'baseUrl' | 'publicUrl' | 'accountSid' | 'authToken' | 'to'
>;

/** Where the stream socket really connects (the TwiML carries the public wss:// URL). */
export function mediaStreamAddress(stack: LocalStack): string {
  return `${stack.url.replace(/^http/, 'ws')}/media-stream`;
}

/** The local stack with the bridge, in front of simulated ElevenLabs and OpenAI services. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const outboxDir = await mkdtemp(join(tmpdir(), 'bolt-outbox-'));
  const elevenlabs = await startElevenLabsSim({
    apiKey: ELEVENLABS_KEY,
    agentId: AGENT_ID,
    script: options.script,
    ...options.elevenlabs,
  });
  const openai = await startOpenAiSim({
    apiKey: OPENAI_KEY,
    script: options.script,
    audioSpeedup: 50,
    ...options.openai,
  });
  const twilioRest = await startTwilioRestSim({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN });
  // Twilio only speaks https/wss: the public URLs are signed as such, the sockets go to 127.0.0.1.
  const publicUrl = PUBLIC_URL;
  const app = await startLocalApp(
    {
      PORT: '0',
      PUBLIC_URL: publicUrl,
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: BUSINESS_NUMBER,
      VOICE_PROVIDER: options.provider ?? 'elevenlabs',
      ELEVENLABS_API_KEY: ELEVENLABS_KEY,
      ELEVENLABS_AGENT_ID: AGENT_ID,
      ELEVENLABS_API_URL: elevenlabs.apiUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_REALTIME_URL: openai.url,
      // Generous (the product's default is 3000): a loaded CI machine must not fail over a healthy
      // simulator. A test of the bound sets its own.
      ENGINE_CONNECT_TIMEOUT_MS: '8000',
      BUSINESS_NAME: 'Bolt Plumbing',
      BUSINESS_TIMEZONE: 'America/New_York',
      TWILIO_API_URL: twilioRest.url,
      OWNER_PHONE: '+15550009999',
      OWNER_EMAIL,
      LOCAL_OUTBOX_DIR: outboxDir,
      ELEVENLABS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      CALLS_API_KEY,
      ...options.env,
    },
    {
      host: '127.0.0.1',
      tools: options.tools === 'real' ? undefined : (options.tools ?? echoTools()),
      script: options.script,
      adapters: options.adapters,
      now: options.now,
    },
  );
  const stack = app.stack;
  let n = 0;
  return {
    app,
    stack,
    twilioRest,
    elevenlabs,
    openai,
    tools: app.tools,
    statusCallback: (statusOptions) =>
      sendStatusCallback({
        baseUrl: stack.url,
        publicUrl,
        accountSid: TEST_ACCOUNT_SID,
        authToken: TEST_AUTH_TOKEN,
        to: BUSINESS_NUMBER,
        ...statusOptions,
      }),
    postCall: (
      body,
      signature = signElevenLabsWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)),
    ) =>
      fetch(`${stack.url}/elevenlabs/post-call`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature === null ? {} : { 'ElevenLabs-Signature': signature }),
        },
        body,
      }),
    async call(callOptions = {}) {
      const callSid =
        callOptions.callSid ?? `CA${(Date.now() * 1000 + ++n).toString(16).padStart(32, '0').slice(-32)}`;
      const answer = await placeCall({
        baseUrl: stack.url,
        publicUrl,
        accountSid: TEST_ACCOUNT_SID,
        authToken: TEST_AUTH_TOKEN,
        from: callOptions.from ?? '+15551230001',
        to: BUSINESS_NUMBER,
        callSid,
        stirVerstat: callOptions.stirVerstat,
      });
      if (answer.status !== 200 || !answer.twiml)
        throw new Error(`inbound webhook answered ${answer.status}: ${answer.body}`);
      const stream = await openStream({
        streamUrl: answer.twiml.streamUrl,
        authToken: TEST_AUTH_TOKEN,
        accountSid: TEST_ACCOUNT_SID,
        callSid,
        parameters: answer.twiml.parameters,
        connectTo: mediaStreamAddress(stack),
      });
      return { callSid, stream };
    },
    async close() {
      await app.close();
      await elevenlabs.close();
      await openai.close();
      await twilioRest.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}

/**
 * One harness for a whole suite: started before its first test and closed after its last (the
 * stack takes seconds to start; its tests share it). Read it only inside tests and hooks.
 */
export function harnessForSuite(options: HarnessOptions = {}): Harness {
  return readThrough(
    perSuite(
      'the suite harness',
      () => startHarness(options),
      (harness) => harness.close(),
    ),
  );
}

/** ElevenLabs' post-call webhook body for `callSid`'s conversation: its envelope around `data`. */
export function postCallBody(callSid: string, data: Record<string, unknown>): string {
  return JSON.stringify({
    type: 'post_call_transcription',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: { ...data, conversation_initiation_client_data: { dynamic_variables: { call_sid: callSid } } },
  });
}

/** Twilio's signed status callback for a call from `from` to the business (42 s when completed). */
export function statusCallback(
  harness: Pick<Harness, 'stack'>,
  call: { callSid: string; from: string; callStatus: string; signature?: 'forged' },
) {
  return sendStatusCallback({
    ...signedAsTwilio(harness),
    callSid: call.callSid,
    from: call.from,
    to: BUSINESS_NUMBER,
    callStatus: call.callStatus,
    callDurationSeconds: call.callStatus === 'completed' ? 42 : undefined,
    signature: call.signature,
  });
}

/** Waits until the call's session holds at least `count` turns, and returns its record. */
export function turnsStored(
  harness: Pick<Harness, 'stack'>,
  callSid: string,
  count: number,
  timeoutMs?: number,
) {
  return eventually(
    () => harness.stack.sessions.get(callSid),
    (r) => (r?.turns.length ?? 0) >= count,
    timeoutMs,
  );
}
