import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { z } from 'zod';
import {
  AgentSyncError,
  CLIENT_EVENTS,
  DATA_COLLECTION,
  type SyncOptions,
  syncAgent,
} from '../../scripts/agent-sync.js';
import { dynamicVariables, firstMessage, promptTemplate } from '../../services/core/call/persona.js';
import { TOOLS } from '../../services/core/tools/runner.js';

const API = 'http://elevenlabs.sim.test';
const AGENT = 'agent_123';

type Json = Record<string, unknown>;
interface State {
  agent: Json;
  tools: Array<{ id: string; tool_config: Json }>;
}
let state: State;
const writes: Array<{ method: string; path: string; body: Json }> = [];
const keys: Array<string | null> = [];

function merge(into: Json, patch: Json): Json {
  const out: Json = { ...into };
  for (const [k, v] of Object.entries(patch)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? merge(prev as Json, v as Json)
        : v;
  }
  return out;
}

/**
 * The request bodies as the ElevenLabs API types them (elevenlabs-js `AgentPlatformSettingsRequestModel`,
 * `TurnConfig`, `TurnEagerness`, `SpellingPatience`, `ConversationConfig`, `AuthSettings`,
 * `LiteralJsonSchemaProperty`, `ClientToolConfigInput`): the stand-in answers 422 to anything else,
 * as the API does.
 */
const literalProperty = z.strictObject({
  type: z.enum(['boolean', 'string', 'integer', 'number']),
  description: z.string().optional(),
  enum: z.array(z.string()).optional(),
});
const agentPatchSchema = z.strictObject({
  conversation_config: z
    .strictObject({
      agent: z.looseObject({ first_message: z.string(), prompt: z.looseObject({ prompt: z.string() }) }),
      asr: z.strictObject({ user_input_audio_format: z.literal('ulaw_8000') }),
      tts: z.strictObject({ agent_output_audio_format: z.literal('ulaw_8000') }),
      turn: z.strictObject({
        turn_eagerness: z.enum(['patient', 'normal', 'eager']),
        spelling_patience: z.enum(['auto', 'off']),
      }),
      conversation: z.strictObject({
        client_events: z.array(z.string()),
        max_duration_seconds: z.number().int().positive(),
      }),
    })
    .optional(),
  platform_settings: z
    .strictObject({
      auth: z.strictObject({ enable_auth: z.boolean() }),
      data_collection: z.record(z.string(), literalProperty),
    })
    .optional(),
});
const clientToolSchema = z.strictObject({
  tool_config: z.strictObject({
    type: z.literal('client'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    description: z.string().min(1),
    expects_response: z.boolean(),
    response_timeout_secs: z.number().int().min(1).max(120),
    parameters: z.strictObject({
      type: z.literal('object'),
      required: z.array(z.string()),
      properties: z.record(z.string(), literalProperty),
    }),
  }),
});
const refused = (error: z.ZodError) =>
  HttpResponse.json({ detail: error.issues.map((i) => ({ loc: i.path, msg: i.message })) }, { status: 422 });

/** Tools of every type a real workspace returns, including an MCP config without a name. */
const WORKSPACE_TOOLS: State['tools'] = [
  {
    id: 'tool_kb',
    tool_config: { type: 'webhook', name: 'lookup', api_schema: { url: 'https://x.example' } },
  },
  {
    id: 'tool_sys',
    tool_config: { type: 'system', name: 'end_call', params: { system_tool_type: 'end_call' } },
  },
  { id: 'tool_mcp', tool_config: { type: 'mcp' } },
  // Someone else's webhook that shares a name with one of our tools: never touched.
  {
    id: 'tool_hook',
    tool_config: { type: 'webhook', name: 'save_lead', api_schema: { url: 'https://crm.example/hook' } },
  },
  { id: 'tool_new', tool_config: { type: 'api_integration_webhook', name: null } },
];

/** As the API answers: each data collection item comes back with its other fields defaulted. */
function withServerDefaults(body: Json): Json {
  const settings = body.platform_settings as { data_collection?: Record<string, Json> } | undefined;
  if (!settings?.data_collection) return body;
  const filled = Object.fromEntries(
    Object.entries(settings.data_collection).map(([id, item]) => [
      id,
      { enum: null, is_system_provided: false, dynamic_variable: '', constant_value: '', ...item },
    ]),
  );
  return { ...body, platform_settings: { ...settings, data_collection: filled } };
}

const server = setupServer(
  http.get(`${API}/v1/convai/agents/:id`, ({ request, params }) => {
    keys.push(request.headers.get('xi-api-key'));
    if (params.id !== AGENT) return HttpResponse.json({ detail: 'not found' }, { status: 404 });
    return HttpResponse.json(state.agent);
  }),
  http.patch(`${API}/v1/convai/agents/:id`, async ({ request }) => {
    const body = (await request.json()) as Json;
    const valid = agentPatchSchema.safeParse(body);
    if (!valid.success) return refused(valid.error);
    writes.push({ method: 'PATCH', path: new URL(request.url).pathname, body });
    state.agent = merge(state.agent, withServerDefaults(body));
    return HttpResponse.json(state.agent);
  }),
  http.get(`${API}/v1/convai/tools`, ({ request }) => {
    // Two pages, to prove the script follows the cursor.
    const cursor = new URL(request.url).searchParams.get('cursor');
    const half = Math.ceil(state.tools.length / 2);
    if (!cursor)
      return HttpResponse.json({ tools: state.tools.slice(0, half), has_more: true, next_cursor: 'p2' });
    return HttpResponse.json({ tools: state.tools.slice(half), has_more: false });
  }),
  http.post(`${API}/v1/convai/tools`, async ({ request }) => {
    const body = (await request.json()) as { tool_config: Json };
    const valid = clientToolSchema.safeParse(body);
    if (!valid.success) return refused(valid.error);
    writes.push({ method: 'POST', path: '/v1/convai/tools', body });
    const tool = {
      id: `tool_${state.tools.length + 1}`,
      tool_config: { ...body.tool_config, disable_interruptions: false },
    };
    state.tools.push(tool);
    return HttpResponse.json(tool);
  }),
  http.patch(`${API}/v1/convai/tools/:id`, async ({ request, params }) => {
    const body = (await request.json()) as { tool_config: Json };
    const valid = clientToolSchema.safeParse(body);
    if (!valid.success) return refused(valid.error);
    writes.push({ method: 'PATCH', path: new URL(request.url).pathname, body });
    const tool = state.tools.find((t) => t.id === params.id);
    if (!tool) return HttpResponse.json({ detail: 'no tool' }, { status: 404 });
    tool.tool_config = body.tool_config;
    return HttpResponse.json(tool);
  }),
);

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
beforeEach(() => {
  state = {
    agent: {
      agent_id: AGENT,
      name: 'Receptionist',
      conversation_config: {
        agent: {
          first_message: 'Hi',
          prompt: { prompt: 'old', llm: 'gemini-2.5-flash', tool_ids: ['tool_kb'] },
        },
        asr: { user_input_audio_format: 'pcm_16000', provider: 'elevenlabs' },
        tts: { agent_output_audio_format: 'pcm_16000', voice_id: 'v1' },
        conversation: { client_events: ['audio', 'interruption'] },
        turn: { turn_timeout: 7, turn_eagerness: 'normal' },
      },
      platform_settings: {
        auth: { enable_auth: false, allowlist: [] },
        data_collection: { budget: { type: 'number', description: 'Their budget, if said.' } },
      },
    },
    tools: structuredClone(WORKSPACE_TOOLS),
  };
  writes.length = 0;
  keys.length = 0;
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const run = (dryRun = false, extra: Partial<SyncOptions> = {}) => {
  const lines: string[] = [];
  const result = syncAgent({
    apiUrl: API,
    apiKey: 'xi-test',
    agentId: AGENT,
    businessName: 'Bolt Plumbing',
    businessTimezone: 'America/New_York',
    maxCallSeconds: 900,
    dryRun,
    print: (line) => lines.push(line),
    ...extra,
  });
  return result.then((r) => ({ ...r, lines }));
};

describe('agent:sync', () => {
  it('creates the client tools and points the agent at them, the persona and mu-law audio', async () => {
    const { changes } = await run();
    expect(keys.every((k) => k === 'xi-test')).toBe(true);
    const created = writes.filter((w) => w.method === 'POST');
    expect(created.map((w) => (w.body.tool_config as Json).name)).toEqual(TOOLS.map((t) => t.name));
    const booking = created.find((w) => (w.body.tool_config as Json).name === 'book_appointment')?.body
      .tool_config as Json;
    expect(booking).toMatchObject({ type: 'client', expects_response: true, response_timeout_secs: 20 });
    const params = booking.parameters as { required: string[]; properties: Record<string, Json> };
    expect(params.required).toEqual(['start', 'name']);
    expect(Object.keys(params.properties)).toEqual(['start', 'name', 'phone', 'email', 'purpose']);
    // ElevenLabs' subset: type and description per property, nothing it would reject.
    for (const property of Object.values(params.properties)) {
      expect(Object.keys(property).sort()).toEqual(['description', 'type']);
    }

    const agentPatch = writes.find((w) => w.path === `/v1/convai/agents/${AGENT}`)?.body as Json;
    expect(agentPatch).toEqual({
      conversation_config: {
        agent: {
          first_message: firstMessage(),
          prompt: {
            prompt: promptTemplate(),
            tool_ids: ['tool_kb', ...TOOLS.map((_, i) => `tool_${WORKSPACE_TOOLS.length + 1 + i}`)],
          },
          dynamic_variables: { dynamic_variable_placeholders: expect.any(Object) },
        },
        asr: { user_input_audio_format: 'ulaw_8000' },
        tts: { agent_output_audio_format: 'ulaw_8000' },
        turn: { turn_eagerness: 'patient', spelling_patience: 'auto' },
        conversation: {
          client_events: [
            'audio',
            'interruption',
            ...CLIENT_EVENTS.filter((e) => e !== 'audio' && e !== 'interruption'),
          ],
          max_duration_seconds: 900,
        },
      },
      platform_settings: {
        auth: { enable_auth: true },
        data_collection: {
          budget: { type: 'number', description: 'Their budget, if said.' },
          ...DATA_COLLECTION,
        },
      },
    });
    expect(firstMessage()).toBe('{{first_message}}');
    const placeholderNames = Object.keys(
      (
        (agentPatch.conversation_config as Json).agent as {
          dynamic_variables: { dynamic_variable_placeholders: Json };
        }
      ).dynamic_variables.dynamic_variable_placeholders,
    ).sort();
    const sent = dynamicVariables({
      callSid: 'CA1',
      streamSid: 'MZ1',
      direction: 'inbound',
      remoteNumber: '+12025550143',
      businessName: 'x',
      businessTimezone: 'UTC',
      now: 0,
      tools: [],
    });
    // Every variable the prompt can reference has a placeholder.
    expect(placeholderNames).toEqual(Object.keys(sent).sort());
    for (const name of promptTemplate().matchAll(/\{\{(\w+)\}\}/g))
      expect(placeholderNames).toContain(name[1]);
    // Settings the code does not own are left alone.
    expect(state.agent.conversation_config).toMatchObject({
      tts: { voice_id: 'v1' },
      agent: { prompt: { llm: 'gemini-2.5-flash' } },
    });
    expect(changes).toContain('tool check_availability: create');
    expect(
      changes.some((c) =>
        c.startsWith('conversation_config.asr.user_input_audio_format: "pcm_16000" -> "ulaw_8000"'),
      ),
    ).toBe(true);
  });

  it('changes nothing on a second run', async () => {
    await run();
    writes.length = 0;
    const { changes, lines } = await run();
    expect(changes).toEqual([]);
    expect(writes).toEqual([]);
    expect(lines).toEqual([
      '(5 workspace tool(s) of other types left as they are)',
      'The agent already matches the code; nothing to change.',
    ]);
  });

  it('updates only a tool whose definition drifted', async () => {
    await run();
    const tool = state.tools.find(
      (t) => t.tool_config.name === 'save_lead' && t.tool_config.type === 'client',
    );
    if (tool) tool.tool_config = { ...tool.tool_config, description: 'edited in the dashboard' };
    writes.length = 0;
    const { changes } = await run();
    expect(changes).toEqual(['tool save_lead: update']);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([`PATCH /v1/convai/tools/${tool?.id}`]);
  });

  it('with --dry-run prints the requests and sends none', async () => {
    const { lines, requests } = await run(true);
    expect(writes).toEqual([]);
    expect(requests).toHaveLength(TOOLS.length + 1);
    expect(lines.join('\n')).toContain(`PATCH ${API}/v1/convai/agents/${AGENT}`);
    expect(lines.join('\n')).toContain('"user_input_audio_format": "ulaw_8000"');
  });

  it('stops with the status when ElevenLabs refuses', async () => {
    await expect(
      syncAgent({
        apiUrl: API,
        apiKey: 'xi-test',
        agentId: 'agent_missing',
        businessName: 'B',
        businessTimezone: 'UTC',
        maxCallSeconds: 900,
        dryRun: false,
        print: () => {},
      }),
    ).rejects.toThrow(
      `GET ${API}/v1/convai/agents/agent_missing failed: HTTP 404: {"detail":"not found"}\nLikely cause: ELEVENLABS_AGENT_ID "agent_missing" is not an agent`,
    );
  });

  it('lists every tool type without failing and writes only our client tools', async () => {
    const { lines } = await run();
    expect(lines).toContain('(5 workspace tool(s) of other types left as they are)');
    const touched = writes.filter((w) => w.path.startsWith('/v1/convai/tools/'));
    expect(touched).toEqual([]);
    // The webhook named save_lead is someone else's: ours is created beside it, theirs unchanged.
    expect(state.tools.find((t) => t.id === 'tool_hook')?.tool_config).toEqual(
      WORKSPACE_TOOLS[3]?.tool_config,
    );
    expect(
      state.tools.filter((t) => t.tool_config.name === 'save_lead').map((t) => t.tool_config.type),
    ).toEqual(['webhook', 'client']);
    // Attached by hand, kept attached; the others were never attached and are not now.
    const toolIds = ((state.agent.conversation_config as Json).agent as { prompt: { tool_ids: string[] } })
      .prompt.tool_ids;
    expect(toolIds[0]).toBe('tool_kb');
    expect(toolIds).not.toContain('tool_hook');
  });

  it('turns on signed-URL authentication, patient turn-taking and the call length limit', async () => {
    await run(false, {
      maxCallSeconds: 600,
      businessProfile: { about: 'Pipes.', services: [], policies: [], faqs: [] },
    });
    expect(state.agent).toMatchObject({
      conversation_config: {
        // turn_timeout is not ours: left as it was.
        turn: { turn_timeout: 7, turn_eagerness: 'patient', spelling_patience: 'auto' },
        conversation: { max_duration_seconds: 600 },
        agent: {
          first_message: '{{first_message}}',
          // The dashboard's test calls see the owner's profile.
          dynamic_variables: { dynamic_variable_placeholders: { business_profile: 'About: Pipes.' } },
        },
      },
      platform_settings: { auth: { enable_auth: true, allowlist: [] } },
    });
    const prompt = ((state.agent.conversation_config as Json).agent as { prompt: { prompt: string } }).prompt
      .prompt;
    expect(prompt).toContain('{{business_profile}}');
  });

  describe('names the request, the URL and the likely cause of every failure', () => {
    const failing = async (handler: Parameters<typeof server.use>[0]) => {
      server.use(handler);
      return run().catch((error: unknown) => error as AgentSyncError);
    };

    it('a wrong key', async () => {
      const error = await failing(
        http.get(`${API}/v1/convai/agents/:id`, () =>
          HttpResponse.json({ detail: { status: 'invalid_api_key' } }, { status: 401 }),
        ),
      );
      expect(error).toBeInstanceOf(AgentSyncError);
      expect((error as Error).message).toBe(
        `GET ${API}/v1/convai/agents/${AGENT} failed: HTTP 401: {"detail":{"status":"invalid_api_key"}}\n` +
          'Likely cause: ELEVENLABS_API_KEY is wrong, revoked or for another account (ElevenLabs answered 401 Unauthorized).',
      );
    });

    it('the network (Node says only "fetch failed")', async () => {
      const error = await failing(http.get(`${API}/v1/convai/tools`, () => HttpResponse.error()));
      expect(error).toMatchObject({
        request: 'GET',
        url: `${API}/v1/convai/tools?page_size=100`,
        likelyCause: expect.stringContaining('the network: elevenlabs.sim.test could not be reached'),
      });
      expect((error as AgentSyncError).problem).toMatch(/^network error: /);
    });

    it('a refused write names the tool it was for', async () => {
      const error = await failing(
        http.post(`${API}/v1/convai/tools`, () => HttpResponse.json({ detail: 'quota' }, { status: 429 })),
      );
      expect(error).toMatchObject({
        request: 'POST (tool check_availability)',
        url: `${API}/v1/convai/tools`,
        likelyCause: 'Rate limit or quota reached: wait a minute and run it again.',
      });
    });

    it('an API URL that is not ElevenLabs', async () => {
      const error = await failing(
        http.get(`${API}/v1/convai/agents/:id`, () => HttpResponse.text('<html>login</html>')),
      );
      expect(error).toMatchObject({
        request: 'GET',
        likelyCause: expect.stringContaining('ELEVENLABS_API_URL does not point at the ElevenLabs API'),
      });
      expect((error as Error).message).toContain('<html>login</html>');
    });
  });
});
