/**
 * `npm run agent:sync [-- --dry-run]`: makes the ElevenLabs agent match the code. The tool registry
 * becomes client tools (the bridge runs them), the persona becomes the prompt, first message and
 * dynamic-variable placeholders, and audio is μ-law 8 kHz both ways (Twilio's format, passed through
 * untouched). It reads the agent and the workspace's tools first and writes only what differs.
 *
 * It also sets what a phone receptionist needs: the most patient turn-taking the API offers, the
 * first message as the `{{first_message}}` dynamic variable (the bridge fills it per call), the call
 * length limit (`MAX_CALL_SECONDS`), the data the post-call analysis collects for the CRM lead, and
 * authentication on, so only a signed URL (which the bridge fetches with the key) starts a conversation.
 *
 * ElevenLabs API (verified against elevenlabs-js): agents `GET/PATCH /v1/convai/agents/{id}` (PATCH
 * merges what it is given); tools live in the workspace (`GET/POST /v1/convai/tools`,
 * `PATCH /v1/convai/tools/{id}`) and are attached by `conversation_config.agent.prompt.tool_ids`.
 * A workspace holds tools of several types (`ToolResponseModelToolConfig`: client, webhook, system,
 * mcp; an `mcp` config has no name): all are listed, only our client tools are written.
 * Turn-taking: `conversation_config.turn.turn_eagerness` (`patient` | `normal` | `eager`) and
 * `spelling_patience` (`auto` | `off`); limits: `conversation.max_duration_seconds`; analysis:
 * `platform_settings.data_collection`; authentication: `platform_settings.auth.enable_auth`.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { DATA_COLLECTION_IDS } from '../services/core/after-call/collected-lead.js';
import { dynamicVariables, firstMessage, promptTemplate } from '../services/core/call/persona.js';
import type { ToolDefinition } from '../services/core/ports/tool-calls.js';
import { type BusinessProfile, parseBusinessProfile } from '../services/core/shared/business-profile.js';
import { TOOLS } from '../services/core/tools/runner.js';

/** Events the bridge relies on (docs/protocols.md §1: anything beyond the default set is opt-in). */
export const CLIENT_EVENTS = [
  'conversation_initiation_metadata',
  'ping',
  'audio',
  'interruption',
  'user_transcript',
  'agent_response',
  'agent_response_correction',
  'client_tool_call',
  'agent_tool_response',
];

/** How long the agent waits for a tool result; above the runner's own 15 s bound. */
const TOOL_RESPONSE_TIMEOUT_SECONDS = 20;

const AUDIO_FORMAT = 'ulaw_8000';

/** The most patient turn-taking the agent API offers: callers pause to think mid-sentence. */
export const TURN_SETTINGS = { turn_eagerness: 'patient', spelling_patience: 'auto' } as const;

/**
 * What the post-call analysis extracts for the CRM lead when the call's tools did not record it
 * (`services/core/after-call/collected-lead.ts` reads these ids). ElevenLabs' `LiteralJsonSchemaProperty`.
 */
export const DATA_COLLECTION: Record<string, { type: 'string'; description: string }> = {
  [DATA_COLLECTION_IDS.name]: {
    type: 'string',
    description: "The caller's full name, as they gave it. Empty if they did not say.",
  },
  [DATA_COLLECTION_IDS.email]: {
    type: 'string',
    description:
      "The caller's email address, as confirmed on the call (name@domain). Empty if they did not give one.",
  },
  [DATA_COLLECTION_IDS.interest]: {
    type: 'string',
    description: 'In a few words, what the caller wants from the business (a service, a quote, a question).',
  },
};

interface ElevenLabsProperty {
  type: string;
  description?: string;
  enum?: string[];
}

export interface ClientToolConfig {
  type: 'client';
  name: string;
  description: string;
  expects_response: boolean;
  response_timeout_secs: number;
  parameters: { type: 'object'; required: string[]; properties: Record<string, ElevenLabsProperty> };
}

// Every tool type parses (an `mcp` config has no name, newer types may come): only the type is read
// from each, and the name only from client tools.
const toolSchema = z.looseObject({
  id: z.string(),
  tool_config: z.looseObject({ type: z.string().optional(), name: z.string().nullish() }),
});
type WorkspaceTool = z.infer<typeof toolSchema>;
type ClientTool = WorkspaceTool & { tool_config: { type: 'client'; name: string } };
const toolsPage = z.looseObject({
  tools: z.array(toolSchema),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().nullish(),
});
const agentSchema = z.looseObject({
  conversation_config: z
    .looseObject({
      agent: z
        .looseObject({
          first_message: z.string().nullish(),
          prompt: z
            .looseObject({ prompt: z.string().nullish(), tool_ids: z.array(z.string()).nullish() })
            .nullish(),
          dynamic_variables: z
            .looseObject({ dynamic_variable_placeholders: z.record(z.string(), z.unknown()).nullish() })
            .nullish(),
        })
        .nullish(),
      asr: z.looseObject({ user_input_audio_format: z.string().nullish() }).nullish(),
      tts: z.looseObject({ agent_output_audio_format: z.string().nullish() }).nullish(),
      turn: z
        .looseObject({ turn_eagerness: z.string().nullish(), spelling_patience: z.string().nullish() })
        .nullish(),
      conversation: z
        .looseObject({
          client_events: z.array(z.string()).nullish(),
          max_duration_seconds: z.number().nullish(),
        })
        .nullish(),
    })
    .nullish(),
  platform_settings: z
    .looseObject({
      auth: z.looseObject({ enable_auth: z.boolean().nullish() }).nullish(),
      data_collection: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
});

/**
 * ElevenLabs takes a JSON-schema subset for client-tool parameters: per property only `type`,
 * `description` and `enum`. Formats and bounds stay in the description and in our own validation.
 */
export function clientToolConfig(definition: ToolDefinition): ClientToolConfig {
  const properties = (definition.parameters.properties ?? {}) as Record<
    string,
    { type?: string; description?: string; enum?: unknown[] }
  >;
  return {
    type: 'client',
    name: definition.name,
    description: definition.description,
    expects_response: true,
    response_timeout_secs: TOOL_RESPONSE_TIMEOUT_SECONDS,
    parameters: {
      type: 'object',
      required: ((definition.parameters.required as string[] | undefined) ?? []).slice(),
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, p]) => [
          name,
          {
            type: p.type ?? 'string',
            ...(p.description ? { description: p.description } : {}),
            ...(p.enum ? { enum: p.enum.map(String) } : {}),
          },
        ]),
      ),
    },
  };
}

/** The parts of a workspace tool we own, in the same shape as `clientToolConfig`, for comparison. */
function ownedPart(config: Record<string, unknown>): unknown {
  const params = (config.parameters ?? {}) as {
    required?: string[];
    properties?: Record<string, { type?: string; description?: string | null; enum?: string[] | null }>;
  };
  return {
    type: config.type,
    name: config.name,
    description: config.description,
    expects_response: config.expects_response,
    response_timeout_secs: config.response_timeout_secs,
    parameters: {
      type: 'object',
      required: [...(params.required ?? [])].sort(),
      properties: Object.fromEntries(
        Object.entries(params.properties ?? {}).map(([name, p]) => [
          name,
          {
            type: p.type,
            ...(p.description ? { description: p.description } : {}),
            ...(p.enum ? { enum: p.enum } : {}),
          },
        ]),
      ),
    },
  };
}

function sameTool(existing: ClientTool, wanted: ClientToolConfig): boolean {
  return isDeepStrictEqual(ownedPart(existing.tool_config), ownedPart({ ...wanted }));
}

/** Placeholder values for the dashboard's test calls; the bridge sends the real ones per call. */
export function placeholders(
  businessName: string,
  businessTimezone: string,
  businessProfile?: BusinessProfile,
): Record<string, string> {
  return dynamicVariables({
    callSid: 'CA00000000000000000000000000000000',
    streamSid: 'MZ00000000000000000000000000000000',
    direction: 'inbound',
    remoteNumber: '+15555550100',
    businessName,
    businessTimezone,
    now: Date.now(),
    businessProfile,
    tools: [],
  });
}

export interface PlannedRequest {
  kind: 'create-tool' | 'update-tool' | 'update-agent';
  method: 'POST' | 'PATCH';
  url: string;
  body: unknown;
}

export interface SyncOptions {
  apiUrl: string;
  apiKey: string;
  agentId: string;
  businessName: string;
  businessTimezone: string;
  /** `MAX_CALL_SECONDS`: the agent ends a conversation that reaches it. */
  maxCallSeconds: number;
  /** Shown in the dashboard's test calls (the bridge sends the current one per call). */
  businessProfile?: BusinessProfile;
  dryRun: boolean;
  print: (line: string) => void;
  definitions?: ToolDefinition[];
}

export interface SyncResult {
  changes: string[];
  requests: PlannedRequest[];
}

/**
 * A failed request to ElevenLabs, named so the operator can act: the request, the URL, what came
 * back, and the likely cause (the key, the agent id, the network, ELEVENLABS_API_URL).
 */
export class AgentSyncError extends Error {
  constructor(
    readonly request: string,
    readonly url: string,
    readonly problem: string,
    readonly likelyCause: string,
  ) {
    super(`${request} ${url} failed: ${problem}\nLikely cause: ${likelyCause}`);
    this.name = 'AgentSyncError';
  }
}

type Method = 'GET' | 'POST' | 'PATCH';

/** How long one request may take before it counts as a network failure. */
const REQUEST_TIMEOUT_MS = 30_000;

function likelyCauseOf(status: number, path: string, agentId: string): string {
  if (status === 401)
    return 'ELEVENLABS_API_KEY is wrong, revoked or for another account (ElevenLabs answered 401 Unauthorized).';
  if (status === 403)
    return 'ELEVENLABS_API_KEY lacks a permission this needs: give the key access to ElevenLabs Agents (read and write).';
  if (status === 404 && path.startsWith('/v1/convai/agents/'))
    return `ELEVENLABS_AGENT_ID "${agentId}" is not an agent of this key's workspace: copy the id from the agent's page.`;
  if (status === 404)
    return 'The resource is gone (deleted in the dashboard meanwhile?), or ELEVENLABS_API_URL does not point at the ElevenLabs API.';
  if (status === 422 || status === 400)
    return 'ElevenLabs refused the request body: its API may have changed; the detail above names the field.';
  if (status === 429) return 'Rate limit or quota reached: wait a minute and run it again.';
  if (status >= 500)
    return 'A failure on the ElevenLabs side: run it again later (status page: status.elevenlabs.io).';
  return 'See the status and body above.';
}

/** Node's fetch fails with "fetch failed"; the reason (DNS, refused, TLS, timeout) is in `cause`. */
function networkProblem(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = e.cause ? [e.cause.code, e.cause.message].filter(Boolean).join(' ') : '';
  return `network error: ${e.message}${cause ? ` (${cause})` : ''}`;
}

/** Reads the agent and the tools, prints what differs, and (unless dry-run) writes it. */
export async function syncAgent(options: SyncOptions): Promise<SyncResult> {
  const base = options.apiUrl.replace(/\/+$/, '');
  const api = async <T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> => {
    const url = `${base}${path}`;
    const request = body === undefined ? method : `${method} (${describeBody(body)})`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          'xi-api-key': options.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AgentSyncError(
        request,
        url,
        networkProblem(error),
        `the network: ${new URL(url).host} could not be reached (offline, proxy or firewall, or a wrong ELEVENLABS_API_URL).`,
      );
    }
    const text = await response.text();
    if (!response.ok)
      throw new AgentSyncError(
        request,
        url,
        `HTTP ${response.status}: ${text.slice(0, 500)}`,
        likelyCauseOf(response.status, path, options.agentId),
      );
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = Symbol('not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new AgentSyncError(
        request,
        url,
        `HTTP ${response.status} with a body this script cannot read (${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}): ${text.slice(0, 200)}`,
        'ELEVENLABS_API_URL does not point at the ElevenLabs API, or the API changed its answer.',
      );
    return parsed.data;
  };

  const agentPath = `/v1/convai/agents/${encodeURIComponent(options.agentId)}`;
  const agent = await api('GET', agentPath, agentSchema);
  const workspaceTools = await listTools(api);
  const clientTools = workspaceTools.filter(
    (t): t is ClientTool => t.tool_config.type === 'client' && typeof t.tool_config.name === 'string',
  );

  const changes: string[] = [];
  const requests: PlannedRequest[] = [];
  const ourToolIds: string[] = [];
  const definitions = options.definitions ?? TOOLS.map((tool) => tool.definition());

  for (const definition of definitions) {
    const wanted = clientToolConfig(definition);
    // Only a client tool of the same name is ours: a webhook or system tool that happens to share
    // the name is someone else's and is never changed.
    const existing = clientTools.find((t) => t.tool_config.name === wanted.name);
    if (!existing) {
      changes.push(`tool ${wanted.name}: create`);
      requests.push({
        kind: 'create-tool',
        method: 'POST',
        url: `${base}/v1/convai/tools`,
        body: { tool_config: wanted },
      });
      ourToolIds.push(`<new ${wanted.name}>`);
    } else {
      ourToolIds.push(existing.id);
      if (!sameTool(existing, wanted)) {
        changes.push(`tool ${wanted.name}: update`);
        requests.push({
          kind: 'update-tool',
          method: 'PATCH',
          url: `${base}/v1/convai/tools/${encodeURIComponent(existing.id)}`,
          body: { tool_config: wanted },
        });
      }
    }
  }

  const current = agent.conversation_config ?? {};
  const currentToolIds = current.agent?.prompt?.tool_ids ?? [];
  // Tools attached by hand (say, a knowledge tool) stay attached; ours are added.
  const toolIds = [...currentToolIds, ...ourToolIds.filter((id) => !currentToolIds.includes(id))];
  const currentEvents = current.conversation?.client_events ?? [];
  const clientEvents = [...currentEvents, ...CLIENT_EVENTS.filter((e) => !currentEvents.includes(e))];
  const wantedPlaceholders = placeholders(
    options.businessName,
    options.businessTimezone,
    options.businessProfile,
  );
  const currentPlaceholders = current.agent?.dynamic_variables?.dynamic_variable_placeholders ?? {};
  const currentCollection = agent.platform_settings?.data_collection ?? {};
  // The API answers each item with defaults filled in (`enum: null`, `dynamic_variable: ''`, …):
  // only the parts we set are compared, so a second run finds nothing to change.
  const ownCollection = Object.fromEntries(
    Object.keys(DATA_COLLECTION).map((id) => {
      const item = currentCollection[id] as { type?: unknown; description?: unknown } | null | undefined;
      return [id, item ? { type: item.type, description: item.description } : null];
    }),
  );

  const fields: Array<[path: string, before: unknown, after: unknown]> = [
    ['conversation_config.agent.first_message', current.agent?.first_message, firstMessage()],
    ['conversation_config.agent.prompt.prompt', current.agent?.prompt?.prompt, promptTemplate()],
    ['conversation_config.agent.prompt.tool_ids', currentToolIds, toolIds],
    [
      'conversation_config.agent.dynamic_variables.dynamic_variable_placeholders (names)',
      Object.keys(currentPlaceholders).sort(),
      Object.keys(wantedPlaceholders).sort(),
    ],
    ['conversation_config.asr.user_input_audio_format', current.asr?.user_input_audio_format, AUDIO_FORMAT],
    [
      'conversation_config.tts.agent_output_audio_format',
      current.tts?.agent_output_audio_format,
      AUDIO_FORMAT,
    ],
    ['conversation_config.turn.turn_eagerness', current.turn?.turn_eagerness, TURN_SETTINGS.turn_eagerness],
    [
      'conversation_config.turn.spelling_patience',
      current.turn?.spelling_patience,
      TURN_SETTINGS.spelling_patience,
    ],
    ['conversation_config.conversation.client_events', currentEvents, clientEvents],
    [
      'conversation_config.conversation.max_duration_seconds',
      current.conversation?.max_duration_seconds,
      options.maxCallSeconds,
    ],
    ['platform_settings.auth.enable_auth', agent.platform_settings?.auth?.enable_auth, true],
    ['platform_settings.data_collection (ours)', ownCollection, DATA_COLLECTION],
  ];
  const agentChanges = fields.filter(([, before, after]) => !isDeepStrictEqual(before ?? null, after));
  for (const [path, before, after] of agentChanges)
    changes.push(`${path}: ${describe(before)} -> ${describe(after)}`);

  const agentBody = {
    conversation_config: {
      agent: {
        first_message: firstMessage(),
        prompt: { prompt: promptTemplate(), tool_ids: toolIds },
        dynamic_variables: {
          dynamic_variable_placeholders: { ...currentPlaceholders, ...wantedPlaceholders },
        },
      },
      asr: { user_input_audio_format: AUDIO_FORMAT },
      tts: { agent_output_audio_format: AUDIO_FORMAT },
      turn: { ...TURN_SETTINGS },
      conversation: { client_events: clientEvents, max_duration_seconds: options.maxCallSeconds },
    },
    platform_settings: {
      // Signed URLs only: a conversation needs a URL fetched with the API key (the bridge does).
      auth: { enable_auth: true },
      // Items added by hand in the dashboard are kept beside ours.
      data_collection: { ...currentCollection, ...DATA_COLLECTION },
    },
  };
  if (agentChanges.length > 0)
    requests.push({ kind: 'update-agent', method: 'PATCH', url: `${base}${agentPath}`, body: agentBody });

  const others = workspaceTools.length - clientTools.length;
  if (others > 0) options.print(`(${others} workspace tool(s) of other types left as they are)`);
  if (changes.length === 0) {
    options.print('The agent already matches the code; nothing to change.');
    return { changes, requests };
  }
  for (const change of changes) options.print(`- ${change}`);

  if (options.dryRun) {
    options.print('\nDry run: these requests would be sent:');
    for (const request of requests)
      options.print(`${request.method} ${request.url}\n${JSON.stringify(request.body, null, 2)}`);
    return { changes, requests };
  }

  // Tools first: the agent's tool_ids need the ids of the tools created here.
  for (const request of requests) {
    if (request.kind === 'create-tool') {
      const created = await api('POST', '/v1/convai/tools', toolSchema, request.body);
      const name = (request.body as { tool_config: ClientToolConfig }).tool_config.name;
      const index = agentBody.conversation_config.agent.prompt.tool_ids.indexOf(`<new ${name}>`);
      if (index >= 0) agentBody.conversation_config.agent.prompt.tool_ids[index] = created.id;
    } else if (request.kind === 'update-tool') {
      await api('PATCH', new URL(request.url).pathname, z.unknown(), request.body);
    } else {
      await api('PATCH', agentPath, z.unknown(), agentBody);
    }
  }
  options.print('Agent updated.');
  return { changes, requests };
}

/** Every tool of the workspace, following the cursor. */
async function listTools(
  api: <T>(method: 'GET', path: string, schema: z.ZodType<T>) => Promise<T>,
): Promise<WorkspaceTool[]> {
  const tools: WorkspaceTool[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ page_size: '100', ...(cursor ? { cursor } : {}) });
    const page = await api('GET', `/v1/convai/tools?${query}`, toolsPage);
    tools.push(...page.tools);
    cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
  } while (cursor);
  return tools;
}

/** Names the request in an error: `create tool save_lead`, `update the agent`. */
function describeBody(body: unknown): string {
  const config = (body as { tool_config?: { name?: string } }).tool_config;
  if (config?.name) return `tool ${config.name}`;
  return 'agent settings';
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${JSON.stringify(text.slice(0, 77))}…` : JSON.stringify(value);
}

const envSchema = z.object({
  ELEVENLABS_API_KEY: z.string({ error: 'is required' }).min(1, 'is required'),
  ELEVENLABS_AGENT_ID: z.string({ error: 'is required' }).min(1, 'is required'),
  ELEVENLABS_API_URL: z.url().default('https://api.elevenlabs.io'),
  BUSINESS_NAME: z.string().min(1).default('Bolt'),
  BUSINESS_TIMEZONE: z.string().min(1).default('America/New_York'),
  MAX_CALL_SECONDS: z.coerce.number().int().min(60).max(7200).default(900),
  BUSINESS_PROFILE_FILE: z.string().optional(),
});

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const env = envSchema.safeParse(
    Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v.trim() !== '')),
  );
  if (!env.success) {
    for (const issue of env.error.issues) console.error(`${String(issue.path[0])} ${issue.message}`);
    process.exit(1);
  }
  let businessProfile: BusinessProfile | undefined;
  if (env.data.BUSINESS_PROFILE_FILE) {
    const parsed = parseBusinessProfile(readFileSync(env.data.BUSINESS_PROFILE_FILE, 'utf8'));
    if (!parsed.ok) {
      console.error(`BUSINESS_PROFILE_FILE ${env.data.BUSINESS_PROFILE_FILE}: ${parsed.problems.join('; ')}`);
      process.exit(1);
    }
    businessProfile = parsed.profile;
  }
  await syncAgent({
    apiUrl: env.data.ELEVENLABS_API_URL,
    apiKey: env.data.ELEVENLABS_API_KEY,
    agentId: env.data.ELEVENLABS_AGENT_ID,
    businessName: env.data.BUSINESS_NAME,
    businessTimezone: env.data.BUSINESS_TIMEZONE,
    maxCallSeconds: env.data.MAX_CALL_SECONDS,
    businessProfile,
    dryRun: process.argv.includes('--dry-run'),
    print: (line) => console.log(line),
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
