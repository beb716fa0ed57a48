import {
  clientToolResultMessage,
  initiationMessage,
  parseServerEvent,
  pongMessage,
  userAudioMessage,
} from '../../../services/adapters/elevenlabs/codec';

describe('ElevenLabs codec', () => {
  it('builds client messages with the exact wire names', () => {
    expect(JSON.parse(userAudioMessage('AAAA'))).toEqual({ user_audio_chunk: 'AAAA' });
    expect(JSON.parse(pongMessage(7))).toEqual({ type: 'pong', event_id: 7 });
    expect(JSON.parse(clientToolResultMessage('t1', 'done', false))).toEqual({
      type: 'client_tool_result',
      tool_call_id: 't1',
      result: 'done',
      is_error: false,
    });
    expect(JSON.parse(initiationMessage({ call_sid: 'CA1' }))).toEqual({
      type: 'conversation_initiation_client_data',
      dynamic_variables: { call_sid: 'CA1' },
    });
  });

  it('parses the events the bridge acts on and ignores the rest', () => {
    expect(
      parseServerEvent(
        JSON.stringify({ type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 3 } }),
      ),
    ).toEqual({
      ok: true,
      event: { type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 3 } },
    });
    expect(
      parseServerEvent(JSON.stringify({ type: 'vad_score', vad_score_event: { vad_score: 0.1 } })),
    ).toEqual({
      ok: true,
      event: { type: 'ignored', name: 'vad_score' },
    });
  });

  it('rejects malformed events', () => {
    expect(parseServerEvent('nope').ok).toBe(false);
    expect(
      parseServerEvent(JSON.stringify({ type: 'audio', audio_event: { audio_base64: 'AAAA', event_id: 3 } }))
        .ok,
    ).toBe(false);
    expect(parseServerEvent(JSON.stringify({ type: 'ping', ping_event: { event_id: '1' } })).ok).toBe(false);
  });
});
