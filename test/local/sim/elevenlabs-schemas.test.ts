import {
  elevenLabsSchemaName,
  validateElevenLabsClientMessage,
  validateElevenLabsServerMessage,
} from '../../../services/local/sim/elevenlabs-schemas.js';
import { expectOneViolation } from '../../support/violations.js';

const AUDIO = Buffer.from([0xff, 0x7f, 0x00, 0x10]).toString('base64');

describe('ElevenLabs client → server messages', () => {
  it.each([
    ['user audio', { user_audio_chunk: AUDIO }],
    ['pong', { type: 'pong', event_id: 7 }],
    [
      'initiation with dynamic variables and a null user_id',
      {
        type: 'conversation_initiation_client_data',
        dynamic_variables: { caller_number: '+15551230000', turns: 3, known: true },
        user_id: null,
        conversation_config_override: { agent: { first_message: null, language: 'en' } },
      },
    ],
    [
      'client tool result',
      { type: 'client_tool_result', tool_call_id: 'toolu_1', result: 'Booked.', is_error: false },
    ],
    ['contextual update', { type: 'contextual_update', text: 'The caller pressed 1' }],
    ['user activity', { type: 'user_activity' }],
  ])('accepts %s', (_name, message) => {
    expect(validateElevenLabsClientMessage(JSON.stringify(message))).toEqual([]);
  });

  it('routes a frame with user_audio_chunk and no type to the user audio schema', () => {
    expect(elevenLabsSchemaName('client-to-server', { user_audio_chunk: AUDIO })).toBe('UserAudioPayload');
    expect(elevenLabsSchemaName('client-to-server', { type: 'pong', event_id: 1 })).toBe('PongPayload');
  });

  it.each([
    [
      'a non-string tool result',
      { type: 'client_tool_result', tool_call_id: 't', result: { ok: true }, is_error: false },
      '/result must be string',
    ],
    [
      'a tool result without is_error',
      { type: 'client_tool_result', tool_call_id: 't', result: 'ok' },
      'is_error',
    ],
    ['a pong with a string event_id', { type: 'pong', event_id: '7' }, '/event_id must be integer'],
    [
      'an unknown type',
      { type: 'user_audio', audio: AUDIO },
      "unknown client-to-server message type 'user_audio'",
    ],
    [
      'a server message sent by the client',
      { type: 'ping', ping_event: { event_id: 1 } },
      "unknown client-to-server message type 'ping'",
    ],
    ['audio that is not base64', { user_audio_chunk: 'not base64!' }, 'base64'],
    [
      'user audio with a type',
      { user_audio_chunk: AUDIO, type: 'audio' },
      "unknown client-to-server message type 'audio'",
    ],
    ['a field beyond the protocol', { user_audio_chunk: AUDIO, seq: 1 }, "additional properties 'seq'"],
    ['a message without type', { text: 'hi' }, "no 'type'"],
  ])('rejects %s', (_name, message, why) => {
    expectOneViolation(validateElevenLabsClientMessage(message), why, 'client-to-server');
  });

  it('rejects text that is not JSON, and never throws', () => {
    expect(validateElevenLabsClientMessage('{"user_audio_chunk":')[0]?.why).toMatch(/not JSON/);
    expect(validateElevenLabsClientMessage(Buffer.from('[1,2]'))[0]?.why).toMatch(/JSON object/);
  });

  it('accepts extra fields only when asked to read the contract as open', () => {
    const message = { type: 'pong', event_id: 1, extra: true };
    expect(validateElevenLabsClientMessage(message)).toHaveLength(1);
    expect(validateElevenLabsClientMessage(message, { allowUnknownFields: true })).toEqual([]);
  });
});

describe('ElevenLabs server → client messages', () => {
  it.each([
    [
      'metadata',
      {
        type: 'conversation_initiation_metadata',
        conversation_initiation_metadata_event: {
          conversation_id: 'conv_1',
          agent_output_audio_format: 'ulaw_8000',
          user_input_audio_format: 'ulaw_8000',
        },
      },
    ],
    ['audio', { type: 'audio', audio_event: { audio_base_64: AUDIO, event_id: 3 } }],
    ['ping without an estimate', { type: 'ping', ping_event: { event_id: 4, ping_ms: null } }],
    ['interruption', { type: 'interruption', interruption_event: { event_id: 5 } }],
    [
      'client tool call',
      {
        type: 'client_tool_call',
        client_tool_call: {
          tool_name: 'save_lead',
          tool_call_id: 'toolu_1',
          parameters: { name: 'Jane' },
          event_id: 6,
        },
      },
    ],
    [
      'error with a null error_type (nullable beside $ref)',
      { type: 'error', error_event: { code: 1008, error_type: null } },
    ],
    [
      'error with an error_type',
      { type: 'error', error_event: { code: 1002, error_type: 'llm_timeout', message: 'x' } },
    ],
  ])('accepts %s', (_name, message) => {
    expect(validateElevenLabsServerMessage(message)).toEqual([]);
  });

  it.each([
    [
      'audio_base64 instead of audio_base_64',
      { type: 'audio', audio_event: { audio_base64: AUDIO, event_id: 1 } },
      "'audio_base_64'",
    ],
    ['a flat audio event', { type: 'audio', audio_base_64: AUDIO, event_id: 1 }, "'audio_event'"],
    [
      'an unknown audio format',
      {
        type: 'conversation_initiation_metadata',
        conversation_initiation_metadata_event: {
          conversation_id: 'c',
          agent_output_audio_format: 'mulaw',
          user_input_audio_format: 'ulaw_8000',
        },
      },
      'must be equal to one of the allowed values',
    ],
    [
      'an unknown error_type',
      { type: 'error', error_event: { code: 1008, error_type: 'oops' } },
      'error_type',
    ],
    [
      'a client message sent by the server',
      { type: 'pong', event_id: 1 },
      "unknown server-to-client message type 'pong'",
    ],
  ])('rejects %s', (_name, message, why) => {
    expectOneViolation(validateElevenLabsServerMessage(message), why);
  });
});
