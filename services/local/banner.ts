/**
 * The start-up banner of `npm start`: where to go, what is simulated or embedded, and for each part
 * the settings that switch it to the real service. Plain text for a terminal, printed once.
 */
import type { Config } from '../core/shared/config.js';
import { pageLinkFor } from './pages/index.js';

export interface BannerInput {
  config: Config;
  /** Where this process answers (`http://127.0.0.1:<port>`). */
  url: string;
  simulatedTwilio: boolean;
  /** Engines played by the embedded simulators (`elevenlabs`, `openai`). */
  simulatedEngines: string[];
  /** Business systems on embedded stand-ins (`crm`, `calendar`, `mail`). */
  embedded: string[];
  generatedCallsApiKey?: string;
  /** This run's key to the local pages, carried by the two links (their cookie keeps it). */
  pageKey: string;
}

interface Part {
  name: string;
  real: boolean;
  /** What runs instead when not real. */
  standIn: string;
  /** How to switch to the real service. */
  settings: string;
}

export function startupBanner(input: BannerInput): string {
  const { config } = input;
  const local = input.url.replace('127.0.0.1', 'localhost');
  const simulatedEngine = (name: string, engine: string, settings: string): Part => ({
    name,
    real: !input.simulatedEngines.includes(engine),
    standIn: 'simulated: plays the demo conversation',
    settings,
  });
  const embedded = (name: string, system: string, standIn: string, settings: string): Part => ({
    name,
    real: !input.embedded.includes(system),
    standIn,
    settings,
  });
  const parts: Part[] = [
    {
      name: 'Twilio',
      real: !input.simulatedTwilio,
      standIn: 'simulated: call from the softphone; REST API stand-in',
      settings: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER + PUBLIC_URL (a tunnel)',
    },
    simulatedEngine('ElevenLabs', 'elevenlabs', 'ELEVENLABS_API_KEY + ELEVENLABS_AGENT_ID'),
    simulatedEngine('OpenAI Realtime', 'openai', 'OPENAI_API_KEY'),
    embedded('CRM', 'crm', 'embedded, in memory', 'SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY'),
    embedded(
      'Calendar',
      'calendar',
      'embedded, business hours only',
      'GOOGLE_SERVICE_ACCOUNT_JSON + GOOGLE_CALENDAR_ID',
    ),
    embedded('Email', 'mail', `written to ${config.localOutboxDir}`, 'RESEND_API_KEY'),
    {
      name: 'DynamoDB',
      real: config.dynamodbEndpoint !== undefined,
      standIn: 'embedded (dynalite), in memory',
      settings: 'DYNAMODB_ENDPOINT',
    },
  ];
  const width = Math.max(...parts.map((p) => p.name.length));
  const lines = [
    '',
    `Bolt Voice local stack on ${local}`,
    '',
    `  Talk to the agent   ${pageLinkFor(local, '/phone', input.pageKey)}`,
    `  Calls               ${pageLinkFor(local, '/calls', input.pageKey)}`,
    '  (the links carry this run’s key to the pages; nothing else opens them, tunnels included)',
    `  New calls use       ${config.voiceProvider} (VOICE_PROVIDER)`,
    '',
    `${'  Part'.padEnd(width + 4)}${'Now'.padEnd(56)}To use the real service, set`,
  ];
  for (const part of parts) {
    const now = part.real ? 'real' : part.standIn;
    lines.push(`  ${part.name.padEnd(width + 2)}${now.padEnd(56)}${part.real ? '' : part.settings}`);
  }
  lines.push('', '  Settings go in .env (see .env.example); a value that is set is always used.');
  if (input.generatedCallsApiKey) {
    lines.push(
      '',
      '  POST /calls key, made for this run (set CALLS_API_KEY to keep one):',
      `    Authorization: Bearer ${input.generatedCallsApiKey}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
