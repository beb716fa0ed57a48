import fc from 'fast-check';
import { parseAny, scanAudio } from '../../../services/adapters/elevenlabs/codec';
import { expectFastPathAgrees } from '../../support/fast-path';

const payload = fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b).toString('base64'));
const eventId = fc.integer({ min: 0, max: 2 ** 40 });
const alignment = fc
  .array(
    fc.tuple(
      fc.string({ minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0, max: 9999 }),
      fc.double({ min: 0, max: 500, noNaN: true }),
    ),
    {
      maxLength: 12,
    },
  )
  .map((rows) => ({
    chars: rows.map(([char]) => char),
    char_start_times_ms: rows.map(([, start]) => start),
    char_durations_ms: rows.map(([, , duration]) => duration),
  }));

/** An audio event as ElevenLabs writes it: its documented field order, no spaces. */
const wire = (audio: string, id: number, align?: object) =>
  JSON.stringify({
    type: 'audio',
    audio_event: { audio_base_64: audio, event_id: id, ...(align ? { alignment: align } : {}) },
  });

describe('ElevenLabs audio fast path', () => {
  it('reads audio events in ElevenLabs order, with or without alignment, exactly as the full parser does', () => {
    fc.assert(
      fc.property(payload, eventId, fc.option(alignment, { nil: undefined }), (audio, id, align) => {
        const text = wire(audio, id, align);
        const fast = scanAudio(text);
        expect(fast).toEqual({ type: 'audio', audio_event: { audio_base_64: audio, event_id: id } });
        expect(parseAny(text)).toEqual({ ok: true, message: fast });
      }),
    );
  });

  it('steps aside for reordered or spaced events (the full parser decides)', () => {
    const reordered = JSON.stringify({ audio_event: { event_id: 3, audio_base_64: 'AAAA' }, type: 'audio' });
    expect(scanAudio(reordered)).toBeUndefined();
    expect(
      scanAudio(
        JSON.stringify({ type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 3 } }, null, 1),
      ),
    ).toBeUndefined();
    expect(
      scanAudio(
        wire('AAAA', 3, { chars: ['"'], char_start_times_ms: [0], char_durations_ms: [1], extra: 1 }),
      ),
    ).toBeUndefined();
  });

  it('never disagrees with the full parser on a damaged event: it answers the same or steps aside', () => {
    const base = wire(Buffer.alloc(160, 7).toString('base64'), 12, {
      chars: ['H', 'i', '"', '\\', 'é'],
      char_start_times_ms: [0, 58, 116, 174.5, 232],
      char_durations_ms: [58, 58, 58, 58, 58],
    });
    expectFastPathAgrees(
      base,
      { scan: scanAudio, parseAny },
      ['"', '\\', 'x', '0', '1', '-', '.', 'e', ' ', '}', ']', '[', ',', '=', '+', 'A', 'u'],
      3000,
    );
  });
});
