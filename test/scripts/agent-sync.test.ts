import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { CLIENT_EVENTS, syncAgent } from '../../scripts/agent-sync.js';
import { dynamicVariables, firstMessage, promptTemplate } from '../../services/core/persona.js';
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

const server = setupServer(
  http.get(`${API}/v1/convai/agents/:id`, ({ request, params }) => {
    keys.push(request.headers.get('xi-api-key'));
    if (params.id !== AGENT) return HttpResponse.json({ detail: 'not found' }, { status: 404 });
    return HttpResponse.json(state.agent);
  }),
  http.patch(`${API}/v1/convai/agents/:id`, async ({ request }) => {
    const body = (await request.json()) as Json;
    writes.push({ method: 'PATCH', path: new URL(request.url).pathname, body });
    state.agent = merge(state.agent, body);
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
      },
    },
    tools: [{ id: 'tool_kb', tool_config: { type: 'webhook', name: 'lookup' } }],
  };
  writes.length = 0;
  keys.length = 0;
});
afterAll(() => server.close());

const run = (dryRun = false) => {
  const lines: string[] = [];
  const result = syncAgent({
    apiUrl: API,
    apiKey: 'xi-test',
    agentId: AGENT,
    businessName: 'Bolt Plumbing',
    businessTimezone: 'America/New_York',
    dryRun,
    print: (line) => lines.push(line),
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
            tool_ids: ['tool_kb', 'tool_2', 'tool_3', 'tool_4', 'tool_5', 'tool_6', 'tool_7', 'tool_8'],
          },
          dynamic_variables: { dynamic_variable_placeholders: expect.any(Object) },
        },
        asr: { user_input_audio_format: 'ulaw_8000' },
        tts: { agent_output_audio_format: 'ulaw_8000' },
        conversation: {
          client_events: [
            'audio',
            'interruption',
            ...CLIENT_EVENTS.filter((e) => e !== 'audio' && e !== 'interruption'),
          ],
        },
      },
    });
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
    expect(lines).toEqual(['The agent already matches the code; nothing to change.']);
  });

  it('updates only a tool whose definition drifted', async () => {
    await run();
    const tool = state.tools.find((t) => t.tool_config.name === 'save_lead');
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
        dryRun: false,
        print: () => {},
      }),
    ).rejects.toThrow('HTTP 404');
  });
});
