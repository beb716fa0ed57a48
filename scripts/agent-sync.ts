/**
 * `npm run agent:sync [-- --dry-run]`: makes the ElevenLabs agent match the code. The tool registry
 * becomes client tools (the bridge runs them), the persona becomes the prompt, first message and
 * dynamic-variable placeholders, and audio is μ-law 8 kHz both ways (Twilio's format, passed through
 * untouched). It reads the agent and the workspace's tools first and writes only what differs.
 *
 * ElevenLabs API (verified against elevenlabs-js): agents `GET/PATCH /v1/convai/agents/{id}`;
 * tools live in the workspace (`GET/POST /v1/convai/tools`, `PATCH /v1/convai/tools/{id}`) and
 * are attached by `conversation_config.agent.prompt.tool_ids` (the inline `prompt.tools` is gone).
 */
import { isDeepStrictEqual } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import * as z from 'zod';
import { dynamicVariables, firstMessage, promptTemplate } from '../services/core/persona.js';
import type { ToolDefinition } from '../services/core/tool-types.js';
import { TOOLS } from '../services/core/tools/runner.js';

/** Events the bridge relies on (protocols.md §1: anything beyond the default set is opt-in). */
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

const toolSchema = z.object({
  id: z.string(),
  tool_config: z.looseObject({ type: z.string(), name: z.string() }),
});
type WorkspaceTool = z.infer<typeof toolSchema>;
const toolsPage = z.object({
  tools: z.array(toolSchema),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().optional(),
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
      conversation: z.looseObject({ client_events: z.array(z.string()).nullish() }).nullish(),
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

function sameTool(existing: WorkspaceTool, wanted: ClientToolConfig): boolean {
  return isDeepStrictEqual(ownedPart(existing.tool_config), ownedPart({ ...wanted }));
}

/** Placeholder values for the dashboard's test calls; the bridge sends the real ones per call. */
export function placeholders(businessName: string, businessTimezone: string): Record<string, string> {
  return dynamicVariables({
    callSid: 'CA00000000000000000000000000000000',
    streamSid: 'MZ00000000000000000000000000000000',
    direction: 'inbound',
    remoteNumber: '+15555550100',
    businessName,
    businessTimezone,
    now: Date.now(),
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
  dryRun: boolean;
  print: (line: string) => void;
  definitions?: ToolDefinition[];
}

export interface SyncResult {
  changes: string[];
  requests: PlannedRequest[];
}

/** Reads the agent and the tools, prints what differs, and (unless dry-run) writes it. */
export async function syncAgent(options: SyncOptions): Promise<SyncResult> {
  const base = options.apiUrl.replace(/\/+$/, '');
  const api = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        'xi-api-key': options.apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${path} failed with HTTP ${response.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };

  const agentPath = `/v1/convai/agents/${encodeURIComponent(options.agentId)}`;
  const agent = agentSchema.parse(await api('GET', agentPath));
  const workspaceTools = await listClientTools(api);

  const changes: string[] = [];
  const requests: PlannedRequest[] = [];
  const ourToolIds: string[] = [];
  const definitions = options.definitions ?? TOOLS.map((tool) => tool.definition());

  for (const definition of definitions) {
    const wanted = clientToolConfig(definition);
    const existing = workspaceTools.find((t) => t.tool_config.name === wanted.name);
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
  const wantedPlaceholders = placeholders(options.businessName, options.businessTimezone);
  const currentPlaceholders = current.agent?.dynamic_variables?.dynamic_variable_placeholders ?? {};

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
    ['conversation_config.conversation.client_events', currentEvents, clientEvents],
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
      conversation: { client_events: clientEvents },
    },
  };
  if (agentChanges.length > 0)
    requests.push({ kind: 'update-agent', method: 'PATCH', url: `${base}${agentPath}`, body: agentBody });

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
      const created = toolSchema.parse(await api('POST', '/v1/convai/tools', request.body));
      const index = agentBody.conversation_config.agent.prompt.tool_ids.indexOf(
        `<new ${created.tool_config.name}>`,
      );
      if (index >= 0) agentBody.conversation_config.agent.prompt.tool_ids[index] = created.id;
    } else if (request.kind === 'update-tool') {
      await api('PATCH', new URL(request.url).pathname, request.body);
    } else {
      await api('PATCH', agentPath, agentBody);
    }
  }
  options.print('Agent updated.');
  return { changes, requests };
}

async function listClientTools(
  api: (method: 'GET', path: string) => Promise<unknown>,
): Promise<WorkspaceTool[]> {
  const tools: WorkspaceTool[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ page_size: '100', ...(cursor ? { cursor } : {}) });
    const page = toolsPage.parse(await api('GET', `/v1/convai/tools?${query}`));
    tools.push(...page.tools.filter((t) => t.tool_config.type === 'client'));
    cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
  } while (cursor);
  return tools;
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
  await syncAgent({
    apiUrl: env.data.ELEVENLABS_API_URL,
    apiKey: env.data.ELEVENLABS_API_KEY,
    agentId: env.data.ELEVENLABS_AGENT_ID,
    businessName: env.data.BUSINESS_NAME,
    businessTimezone: env.data.BUSINESS_TIMEZONE,
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
