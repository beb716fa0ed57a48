import fc from 'fast-check';
import { parseAny, scanAudioDelta } from '../../../services/adapters/openai-realtime/codec';
import { expectFastPathAgrees } from '../../support/fast-path';

const payload = fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b).toString('base64'));
const id = fc.string({ maxLength: 24 });
const index = fc.integer({ min: 0, max: 2 ** 40 });

/** A delta as OpenAI writes it: its documented field order, no spaces. */
const wire = (
  ids: { event: string; response: string; item: string },
  output: number,
  content: number,
  delta: string,
) =>
  JSON.stringify({
    type: 'response.output_audio.delta',
    event_id: ids.event,
    response_id: ids.response,
    item_id: ids.item,
    output_index: output,
    content_index: content,
    delta,
  });

describe('OpenAI audio delta fast path', () => {
  it('reads deltas in OpenAI order exactly as the full parser does, or steps aside (ids with escapes)', () => {
    fc.assert(
      fc.property(
        fc.record({ event: id, response: id, item: id }),
        index,
        index,
        payload,
        (ids, output, content, delta) => {
          const text = wire(ids, output, content, delta);
          const fast = scanAudioDelta(text);
          const full = parseAny(text);
          expect(full).toEqual({
            ok: true,
            message: { type: 'response.output_audio.delta', item_id: ids.item, delta },
          });
          // Ids that JSON writes with escapes may go to the full parser; all others are read fast.
          const plain = [ids.event, ids.response, ids.item].every((v) => JSON.stringify(v) === `"${v}"`);
          if (fast !== undefined || plain) expect({ ok: true, message: fast }).toEqual(full);
        },
      ),
    );
  });

  it('steps aside for reordered or spaced deltas (the full parser decides)', () => {
    const reordered = JSON.stringify({ type: 'response.output_audio.delta', item_id: 'i', delta: 'AAAA' });
    expect(scanAudioDelta(reordered)).toBeUndefined();
    const spaced = JSON.stringify(
      JSON.parse(wire({ event: 'e', response: 'r', item: 'i' }, 0, 0, 'AAAA')),
      null,
      1,
    );
    expect(scanAudioDelta(spaced)).toBeUndefined();
  });

  it('never disagrees with the full parser on a damaged delta: it answers the same or steps aside', () => {
    const base = wire(
      { event: 'event_7', response: 'resp_1', item: 'item_1' },
      0,
      0,
      Buffer.alloc(160, 7).toString('base64'),
    );
    expectFastPathAgrees(
      base,
      { scan: scanAudioDelta, parseAny },
      ['"', '\\', 'x', '0', '1', '-', ' ', '}', ',', ':', '=', '+', 'A'],
      3000,
    );
  });
});
