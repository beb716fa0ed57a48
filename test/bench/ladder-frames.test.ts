import { agentFrame, callerFrame, type PrebuiltFrame } from '../../bench/ladder/frames';
import { Samples } from '../../bench/ladder/samples';
import { readStamp, readStampFrom, stampedPayload, writeStamp } from '../../bench/ladder/stamp';

/** The messages as the generator built them as text, one string per frame: the bytes must not change. */
const ALIGNMENT =
  '{"chars":["h","e","l","l"],"char_start_times_ms":[0,5,10,15],"char_durations_ms":[5,5,5,5]}';
const callerText = (seq: number, streamSid: string, payload: string) =>
  `{"event":"media","sequenceNumber":"${seq + 2}","media":{"track":"inbound","chunk":"${seq + 1}","timestamp":"${seq * 20}","payload":"${payload}"},"streamSid":"${streamSid}"}`;
const elevenLabsText = (seq: number, payload: string) =>
  `{"type":"audio","audio_event":{"audio_base_64":"${payload}","event_id":${seq + 1},"alignment":${ALIGNMENT}}}`;
const openAiText = (seq: number, id: string, payload: string) =>
  `{"type":"response.output_audio.delta","event_id":"ev_${seq}","response_id":"resp_${id}","item_id":"item_${id}","output_index":0,"content_index":0,"delta":"${payload}"}`;

/** Sequence numbers across the widths of every field (1 to 7 digits), in order as a call sends them. */
const SEQS = [
  0, 1, 3, 4, 7, 8, 9, 10, 48, 49, 50, 97, 98, 99, 100, 498, 499, 500, 4999, 5000, 49_999, 99_999, 123_456,
];

describe('bench ladder: prebuilt frames', () => {
  const streamSid = `MZ${'1'.padStart(32, '0')}`;

  function fill(frame: PrebuiltFrame, call: number, seq: number, sentAt: number, speech: boolean, i: number) {
    // Every third frame as if the previous one were still queued on the socket.
    return frame.fill(call, seq, sentAt, speech, i % 3 !== 0).toString('latin1');
  }

  it('builds the Twilio caller frame byte for byte as the text was, in speech and in silence', () => {
    const frame = callerFrame(streamSid);
    SEQS.forEach((seq, i) => {
      const speech = i % 4 < 2;
      const sentAt = 1000 + seq * 20.123;
      frame.values[0] = seq + 2;
      frame.values[1] = seq + 1;
      frame.values[2] = seq * 20;
      expect(fill(frame, 7, seq, sentAt, speech, i)).toBe(
        callerText(seq, streamSid, stampedPayload(7, seq, sentAt, speech)),
      );
    });
  });

  it('builds the ElevenLabs agent frame, with its alignment, byte for byte', () => {
    const frame = agentFrame('elevenlabs', 12);
    SEQS.forEach((seq, i) => {
      frame.values[0] = seq + 1;
      expect(fill(frame, 12, seq, seq * 3.5, false, i)).toBe(
        elevenLabsText(seq, stampedPayload(12, seq, seq * 3.5)),
      );
    });
  });

  it('builds the OpenAI audio delta byte for byte, its response id in both places as it changes', () => {
    const frame = agentFrame('openai', 305);
    SEQS.forEach((seq, i) => {
      const response = Math.floor(i / 2) * 4;
      frame.values[0] = seq;
      frame.values[1] = response;
      expect(fill(frame, 305, seq, 99.25 + seq, false, i)).toBe(
        openAiText(seq, `305_${response}`, stampedPayload(305, seq, 99.25 + seq)),
      );
    });
  });

  it('leaves a frame still queued on a socket as it was', () => {
    const frame = agentFrame('elevenlabs', 1);
    frame.values[0] = 1;
    const queued = frame.fill(1, 0, 5, false, true);
    const before = queued.toString('latin1');
    frame.values[0] = 2;
    const next = frame.fill(1, 1, 25, false, false);
    expect(queued.toString('latin1')).toBe(before);
    expect(next.toString('latin1')).toBe(elevenLabsText(1, stampedPayload(1, 1, 25)));
  });

  it('reads from a message’s bytes the stamp the writer wrote, at the payload’s offset', () => {
    const bytes = Buffer.from(`{"user_audio_chunk":"${stampedPayload(0, 0, 0)}"}`);
    writeStamp(bytes, 21, 4_000_000_000, 65_535, 123_456.789);
    expect(readStampFrom(bytes, 21)).toEqual({ call: 4_000_000_000, seq: 65_535, sentAt: 123_456.789 });
    expect(readStamp(bytes.toString(), 21)).toEqual(readStampFrom(bytes, 21));
    expect(readStampFrom(Buffer.from('{"user_audio_chunk":"AA"}'), 21)).toBeUndefined();
    expect(readStampFrom(Buffer.from(`{"user_audio_chunk":"${'*'.repeat(30)}"}`), 21)).toBeUndefined();
  });

  it('keeps samples past its first capacity, and starts again empty once taken', () => {
    const samples = new Samples(4);
    for (let i = 0; i < 10; i++) samples.push(i / 2);
    expect(Array.from(samples.values())).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
    expect(samples.take()).toHaveLength(10);
    expect(samples.length).toBe(0);
    samples.push(7);
    expect(Array.from(samples.values())).toEqual([7]);
  });
});
