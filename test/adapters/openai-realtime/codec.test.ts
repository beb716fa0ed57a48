import {
  functionCallOutput,
  inputAudioAppend,
  itemTruncate,
  parseServerEvent,
  parseToolArguments,
  responseCancel,
  responseCreate,
  sessionUpdate,
} from '../../../services/adapters/openai-realtime/codec.js';
import { loadClip, toFrames } from '../../../services/local/sim/audio.js';
import { validateClientEvent, validateServerEvent } from '../../../services/local/sim/openai-schemas.js';
import { TELEPHONY_INPUT_TURNS, TELEPHONY_OUTPUT } from '../../support/openai-engine.js';

const tools = [
  {
    name: 'check_availability',
    description: 'Free slots on a day',
    parameters: {
      type: 'object',
      properties: { date: { type: 'string' }, days: { type: 'integer' } },
      required: ['date'],
    },
  },
];

function settings() {
  return {
    model: 'gpt-realtime',
    voice: 'marin',
    instructions: 'Be brief.',
    vadEagerness: 'low' as const,
    tools,
  };
}

describe('OpenAI Realtime codec: client events', () => {
  it('builds a GA session.update for μ-law telephony that the GA schema accepts', () => {
    const event = JSON.parse(sessionUpdate(settings()));

    expect(validateClientEvent(event)).toEqual([]);
    expect(event.session).toEqual({
      type: 'realtime',
      model: 'gpt-realtime',
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      audio: {
        input: {
          ...TELEPHONY_INPUT_TURNS,
          transcription: { model: 'gpt-4o-mini-transcribe' },
          // A handset is close-talking: filtered before VAD, fewer false barge-ins from line noise.
          noise_reduction: { type: 'near_field' },
        },
        output: TELEPHONY_OUTPUT,
      },
      tools: [{ type: 'function', ...tools[0] }],
      tool_choice: 'auto',
    });
  });

  it('guides the caller transcription with a prompt when given one, in the GA shape', () => {
    const event = JSON.parse(
      sessionUpdate({ ...settings(), transcriptionPrompt: 'A phone call to Harbor Dental.' }),
    );
    expect(validateClientEvent(event)).toEqual([]);
    expect(event.session.audio.input.transcription).toEqual({
      model: 'gpt-4o-mini-transcribe',
      prompt: 'A phone call to Harbor Dental.',
    });
  });

  it('passes the configured VAD eagerness through', () => {
    const event = JSON.parse(sessionUpdate({ ...settings(), vadEagerness: 'high' }));
    expect(event.session.audio.input.turn_detection.eagerness).toBe('high');
  });

  it('the beta negative checks catch a deliberately beta-shaped session', () => {
    const beta = {
      type: 'session.update',
      session: {
        type: 'realtime',
        modalities: ['audio', 'text'],
        voice: 'alloy',
        input_audio_format: 'g711_ulaw',
        output_audio_format: 'g711_ulaw',
        turn_detection: { type: 'server_vad' },
        input_audio_transcription: { model: 'whisper-1' },
      },
    };
    const problems = validateClientEvent(beta);
    // Every field of that session but its type is a beta one.
    for (const field of Object.keys(beta.session).filter((name) => name !== 'type')) {
      expect(problems).toContainEqual(expect.stringContaining(`session.${field} is a beta field`));
    }
  });

  it('rejects a session without type and string-valued audio formats', () => {
    expect(validateClientEvent({ type: 'session.update', session: { instructions: 'x' } })).toContainEqual(
      expect.stringContaining('session.type is missing'),
    );
    const stringFormat = {
      type: 'session.update',
      session: { type: 'realtime', audio: { output: { format: 'g711_ulaw' } } },
    };
    expect(validateClientEvent(stringFormat)).toContainEqual(
      expect.stringContaining('session.audio.output.format must be an object'),
    );
  });

  it('builds input_audio_buffer.append around the untouched payload string', () => {
    const payload = toFrames(loadClip('caller-hello'))[3]!;
    const message = inputAudioAppend(payload);

    expect(message).toBe(`{"type":"input_audio_buffer.append","audio":"${payload}"}`);
    const event = JSON.parse(message);
    expect(event.audio).toBe(payload);
    expect(validateClientEvent(event)).toEqual([]);
  });

  it('builds conversation.item.truncate with content_index 0 and a whole, non-negative audio_end_ms', () => {
    const event = JSON.parse(itemTruncate('item_1', 1234.9));
    expect(event).toEqual({
      type: 'conversation.item.truncate',
      item_id: 'item_1',
      content_index: 0,
      audio_end_ms: 1234,
    });
    expect(validateClientEvent(event)).toEqual([]);
    expect(JSON.parse(itemTruncate('item_1', -40)).audio_end_ms).toBe(0);
    expect(JSON.parse(itemTruncate('item_1', Number.NaN)).audio_end_ms).toBe(0);
  });

  it('builds a function_call_output item with a string output, marking failures', () => {
    const ok = JSON.parse(functionCallOutput('call_1', { ok: true, text: 'Booked for 10:00.' }));
    expect(ok).toEqual({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_1', output: 'Booked for 10:00.' },
    });
    expect(validateClientEvent(ok)).toEqual([]);
    const failed = JSON.parse(functionCallOutput('call_2', { ok: false, text: 'That slot is taken.' }));
    expect(failed.item.output).toMatch(/^Error: .*That slot is taken\.$/);
  });

  it('builds response.create, with the event_id an error refusing it would carry', () => {
    expect(validateClientEvent(JSON.parse(responseCreate()))).toEqual([]);
    const identified = JSON.parse(responseCreate('bolt_response_create_1'));
    expect(identified).toEqual({ type: 'response.create', event_id: 'bolt_response_create_1' });
    expect(validateClientEvent(identified)).toEqual([]);
  });

  it('builds response.cancel, for one response when given its id', () => {
    expect(JSON.parse(responseCancel())).toEqual({ type: 'response.cancel' });
    const one = JSON.parse(responseCancel('resp_1'));
    expect(one).toEqual({ type: 'response.cancel', response_id: 'resp_1' });
    expect(validateClientEvent(one)).toEqual([]);
  });
});

describe('OpenAI Realtime codec: server events', () => {
  it('passes the audio delta string on as is', () => {
    const delta = loadClip('agent-greeting').subarray(0, 800).toString('base64');
    const raw = {
      type: 'response.output_audio.delta',
      event_id: 'event_1',
      response_id: 'resp_1',
      item_id: 'item_1',
      output_index: 0,
      content_index: 0,
      delta,
    };
    expect(validateServerEvent(raw)).toEqual([]);
    expect(parseServerEvent(JSON.stringify(raw))).toEqual({
      ok: true,
      message: { type: 'response.output_audio.delta', item_id: 'item_1', delta },
    });
  });

  it('parses the events the engine uses', () => {
    const transcript = parseServerEvent(
      JSON.stringify({
        type: 'conversation.item.input_audio_transcription.completed',
        event_id: 'e',
        item_id: 'item_2',
        content_index: 0,
        transcript: 'I need an appointment',
        usage: { type: 'duration', seconds: 2 },
      }),
    );
    expect(transcript).toMatchObject({ ok: true, message: { transcript: 'I need an appointment' } });
    const call = parseServerEvent(
      JSON.stringify({
        type: 'response.function_call_arguments.done',
        event_id: 'e',
        response_id: 'r',
        item_id: 'i',
        output_index: 0,
        call_id: 'call_9',
        name: 'end_call',
        arguments: '{}',
      }),
    );
    expect(call).toMatchObject({ ok: true, message: { call_id: 'call_9', name: 'end_call' } });
    const error = parseServerEvent(
      JSON.stringify({
        type: 'error',
        event_id: 'e',
        error: { type: 'invalid_request_error', message: 'bad', code: null },
      }),
    );
    expect(error).toMatchObject({ ok: true, message: { error: { message: 'bad' } } });
  });

  it('ignores events it does not use and reports malformed ones', () => {
    expect(parseServerEvent('{"type":"rate_limits.updated","rate_limits":[]}')).toEqual({
      ok: true,
      message: { type: 'ignored', name: 'rate_limits.updated' },
    });
    expect(parseServerEvent('{"type":"response.audio.delta","delta":"AA"}')).toEqual({
      ok: true,
      message: { type: 'ignored', name: 'response.audio.delta' },
    });
    expect(parseServerEvent('not json')).toMatchObject({ ok: false });
    expect(parseServerEvent('{"type":"response.output_audio.delta"}')).toMatchObject({ ok: false });
    expect(
      parseServerEvent('{"type":"response.output_audio.delta","item_id":"i","delta":"AA\\"}"}'),
    ).toMatchObject({
      ok: false,
      problem: 'audio delta is not base64',
    });
    expect(parseServerEvent('{"type":"response.output_audio.delta","item_id":"i","delta":""}')).toMatchObject(
      {
        ok: false,
      },
    );
    expect(
      parseServerEvent('{"type":"response.output_audio.delta","item_id":7,"delta":"AAAA"}'),
    ).toMatchObject({
      ok: false,
    });
    expect(parseServerEvent('{"type":"input_audio_buffer.speech_started"}')).toMatchObject({ ok: true });
    expect(parseServerEvent('{"type":"response.function_call_arguments.done","name":"x"}')).toMatchObject({
      ok: false,
    });
  });

  it('parses tool arguments, passing an unparsable string on raw', () => {
    expect(parseToolArguments('{"date":"2026-12-01"}')).toEqual({ date: '2026-12-01' });
    expect(parseToolArguments('{"date":')).toBe('{"date":');
  });
});
