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
    ).toEqual({ ok: true, message: { type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 3 } } });
    expect(
      parseServerEvent(JSON.stringify({ type: 'vad_score', vad_score_event: { vad_score: 0.1 } })),
    ).toEqual({ ok: true, message: { type: 'ignored', name: 'vad_score' } });
    expect(
      parseServerEvent(JSON.stringify({ type: 'ping', ping_event: { event_id: 4, ping_ms: 20 } })),
    ).toEqual({
      ok: true,
      message: { type: 'ping', ping_event: { event_id: 4, ping_ms: 20 } },
    });
  });

  it('passes agent audio on as the same string', () => {
    const payload = Buffer.alloc(160, 0x7f).toString('base64');
    const parsed = parseServerEvent(
      `{"type":"audio","audio_event":{"audio_base_64":"${payload}","event_id":9}}`,
    );
    expect(parsed.ok && parsed.message.type === 'audio' && parsed.message.audio_event.audio_base_64).toBe(
      payload,
    );
  });

  it.each([
    ['no audio_event', { type: 'audio' }],
    ['audio_event null', { type: 'audio', audio_event: null }],
    ['a misspelt payload field', { type: 'audio', audio_event: { audio_base64: 'AAAA', event_id: 3 } }],
    ['a payload that is not base64', { type: 'audio', audio_event: { audio_base_64: 'AA"}', event_id: 3 } }],
    ['an empty payload', { type: 'audio', audio_event: { audio_base_64: '', event_id: 3 } }],
    ['a numeric payload', { type: 'audio', audio_event: { audio_base_64: 1234, event_id: 3 } }],
    ['a string event id', { type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: '3' } }],
    ['a fractional event id', { type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 3.5 } }],
    ['no event id', { type: 'audio', audio_event: { audio_base_64: 'AAAA' } }],
  ])('the audio fast path rejects %s', (_what, frame) => {
    expect(parseServerEvent(JSON.stringify(frame)).ok).toBe(false);
  });

  it('rejects malformed events', () => {
    expect(parseServerEvent('nope').ok).toBe(false);
    expect(parseServerEvent('null').ok).toBe(false);
    expect(parseServerEvent('{"type":7}').ok).toBe(false);
    expect(parseServerEvent(JSON.stringify({ type: 'ping', ping_event: { event_id: '1' } })).ok).toBe(false);
  });
});
