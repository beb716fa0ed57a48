import { PAYLOAD_CHARS, payloadTail, writeStamp } from './stamp';
import { type FrameSender, textFrameHeader } from './ws-frame';

/**
 * The generator's outgoing audio frames, built once per call and rewritten in place: a message's text
 * is fixed but for a few decimal fields and the payload's stamp, so each frame writes those bytes into
 * the call's buffer instead of building a string and encoding it again. The buffer holds the whole
 * WebSocket text frame of that text, header included, to be written to the socket in one write. A
 * field whose number of digits changes (or a voiced tail after silence) lays the frame out again,
 * a few times per call.
 */

/** A decimal field of the message: the index of its value in `PrebuiltFrame.values`. */
export interface Field {
  field: number;
}
/** Where the stamped payload goes. */
export const PAYLOAD = Symbol('payload');
export type Part = string | Field | typeof PAYLOAD;

export class PrebuiltFrame {
  /** The values of the fields for the next frame (whole numbers in [0, 2^31)), written by the caller before `fill`. */
  readonly values: number[];
  private bytes = Buffer.alloc(0);
  /** The values each field's number of digits in the layout holds: [lowest, highest + 1). */
  private readonly lowest: number[];
  private readonly beyond: number[];
  /** Each place a field is written (a field may appear more than once): which field, where its digits end. */
  private readonly places: Field[];
  private readonly ends: number[];
  private payloadAt = 0;
  private speech: boolean | undefined;

  constructor(
    private readonly sender: FrameSender,
    private readonly parts: readonly Part[],
  ) {
    this.places = parts.filter((p): p is Field => typeof p === 'object');
    const fields = Math.max(0, ...this.places.map((p) => p.field + 1));
    this.values = new Array<number>(fields).fill(0);
    this.lowest = new Array<number>(fields).fill(0);
    this.beyond = new Array<number>(fields).fill(0);
    this.ends = new Array<number>(this.places.length).fill(0);
  }

  /**
   * The frame's bytes with `values`, the stamp (call, sequence, send time) and the tail written in.
   * `reuse` false when the previous bytes may still be queued on a socket: they are left alone and
   * the frame gets new ones.
   */
  fill(call: number, seq: number, sentAt: number, speech: boolean, reuse: boolean): Buffer {
    const { values, lowest, beyond } = this;
    let same = this.speech === speech;
    for (let i = 0; same && i < values.length; i++)
      same = values[i]! >= lowest[i]! && values[i]! < beyond[i]!;
    if (!same) this.layOut(speech);
    else if (!reuse) this.bytes = Buffer.from(this.bytes);
    const bytes = this.bytes;
    for (let i = 0; i < this.places.length; i++)
      writeDigits(bytes, this.ends[i]!, values[this.places[i]!.field]!);
    writeStamp(bytes, this.payloadAt, call, seq, sentAt);
    return bytes;
  }

  /** The message as text, framed (the layout the bytes follow). */
  private layOut(speech: boolean): void {
    let text = '';
    let place = 0;
    for (const part of this.parts) {
      if (part === PAYLOAD) {
        this.payloadAt = text.length;
        // The stamp's place is filled per frame.
        text += 'A'.repeat(PAYLOAD_CHARS - payloadTail(speech).length) + payloadTail(speech);
      } else if (typeof part === 'string') {
        text += part;
      } else {
        const digits = String(this.values[part.field]);
        text += digits;
        this.lowest[part.field] = digits.length === 1 ? 0 : POWERS[digits.length - 1]!;
        this.beyond[part.field] = POWERS[digits.length]!;
        this.ends[place++] = text.length;
      }
    }
    const header = textFrameHeader(text.length, this.sender);
    this.bytes = Buffer.concat([header, Buffer.from(text, 'latin1')]);
    this.payloadAt += header.length;
    for (let i = 0; i < this.ends.length; i++) this.ends[i]! += header.length;
    this.speech = speech;
  }
}

/** Powers of ten up to 10^10: where each count of digits starts. */
const POWERS = Array.from({ length: 11 }, (_, i) => 10 ** i);

/** Writes the decimal digits of a whole number in [0, 2^31) so that its last one ends before `end`. */
function writeDigits(target: Buffer, end: number, value: number): void {
  let at = end;
  let rest = value | 0;
  do {
    const next = (rest / 10) | 0;
    target[--at] = 0x30 + rest - next * 10;
    rest = next;
  } while (rest > 0);
}

/** Which engine protocol the bench engine speaks: ElevenLabs (the default), or OpenAI Realtime GA. */
export type EngineProtocol = 'elevenlabs' | 'openai';

/** The alignment of a 20 ms agent frame (a few characters of the reply, as ElevenLabs sends it). */
const ALIGNMENT = JSON.stringify({
  chars: ['h', 'e', 'l', 'l'],
  char_start_times_ms: [0, 5, 10, 15],
  char_durations_ms: [5, 5, 5, 5],
});
/** A call's media frames as Twilio sends them. */
export function callerFrame(streamSid: string): PrebuiltFrame {
  // Twilio's own field order (docs/protocols.md §3), so the bridge's fast path is what is measured.
  // Fields: sequenceNumber, chunk, timestamp.
  return new PrebuiltFrame('client', [
    '{"event":"media","sequenceNumber":"',
    { field: 0 },
    '","media":{"track":"inbound","chunk":"',
    { field: 1 },
    '","timestamp":"',
    { field: 2 },
    '","payload":"',
    PAYLOAD,
    `"},"streamSid":"${streamSid}"}`,
  ]);
}

/** A call's agent audio frames as the engine sends them. */
export function agentFrame(protocol: EngineProtocol, callIndex: number): PrebuiltFrame {
  if (protocol === 'openai') {
    // Fields: the event's sequence, the response's.
    return new PrebuiltFrame('server', [
      '{"type":"response.output_audio.delta","event_id":"ev_',
      { field: 0 },
      `","response_id":"resp_${callIndex}_`,
      { field: 1 },
      `","item_id":"item_${callIndex}_`,
      { field: 1 },
      '","output_index":0,"content_index":0,"delta":"',
      PAYLOAD,
      '"}',
    ]);
  }
  // With the character alignment ElevenLabs sends on every audio event (docs/protocols.md §1).
  // Field: event_id.
  return new PrebuiltFrame('server', [
    '{"type":"audio","audio_event":{"audio_base_64":"',
    PAYLOAD,
    '","event_id":',
    { field: 0 },
    `,"alignment":${ALIGNMENT}}}`,
  ]);
}
