import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { BenchCall, RungStats } from '../../bench/ladder/calls';
import { agentFrame, callerFrame, type PrebuiltFrame } from '../../bench/ladder/frames';
import { Samples } from '../../bench/ladder/samples';
import { readStamp, readStampFrom, stampedPayload, writeStamp } from '../../bench/ladder/stamp';
import { type FrameSender, textFrameHeader } from '../../bench/ladder/ws-frame';
import { waitUntil } from '../support/wait-until';

/** `ws`'s own framing (exported, not typed): what `send(text)` writes, masked with the zero key as the generator's client does. */
const { Sender } = WebSocket as unknown as {
  Sender: {
    frame(
      data: Buffer,
      options: {
        fin: boolean;
        opcode: number;
        mask: boolean;
        readOnly: boolean;
        rsv1: boolean;
        generateMask?: (mask: Buffer) => void;
      },
    ): Buffer[];
  };
};
function wsFrame(text: string, sender: FrameSender): string {
  const options = {
    fin: true,
    opcode: 1,
    rsv1: false,
    readOnly: false,
    mask: sender === 'client',
    generateMask: (mask: Buffer) => mask.fill(0),
  };
  return Buffer.concat(Sender.frame(Buffer.from(text), options)).toString('latin1');
}

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
        wsFrame(callerText(seq, streamSid, stampedPayload(7, seq, sentAt, speech)), 'client'),
      );
    });
  });

  it('builds the ElevenLabs agent frame, with its alignment, byte for byte', () => {
    const frame = agentFrame('elevenlabs', 12);
    SEQS.forEach((seq, i) => {
      frame.values[0] = seq + 1;
      expect(fill(frame, 12, seq, seq * 3.5, false, i)).toBe(
        wsFrame(elevenLabsText(seq, stampedPayload(12, seq, seq * 3.5)), 'server'),
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
        wsFrame(openAiText(seq, `305_${response}`, stampedPayload(305, seq, 99.25 + seq)), 'server'),
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
    expect(next.toString('latin1')).toBe(wsFrame(elevenLabsText(1, stampedPayload(1, 1, 25)), 'server'));
  });

  it('frames text as ws does at every length class (7-bit, 16-bit and 64-bit lengths)', () => {
    for (const length of [0, 125, 126, 65_535, 65_536]) {
      for (const sender of ['client', 'server'] as const) {
        const header = textFrameHeader(length, sender);
        expect(header.toString('latin1')).toBe(wsFrame('x'.repeat(length), sender).slice(0, header.length));
      }
    }
  });

  it('writes frames that ws reads as the text messages they are, both ways, between its own messages', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const atServer: string[] = [];
    const atClient: string[] = [];
    server.on('connection', (ws, request) => {
      ws.on('message', (data) => atServer.push(data.toString()));
      const frame = agentFrame('elevenlabs', 3);
      frame.values[0] = 1;
      request.socket.write(frame.fill(3, 0, 40, false, true));
      ws.send('between');
      frame.values[0] = 2;
      request.socket.write(frame.fill(3, 1, 60, false, false));
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      generateMask: (mask) => mask.fill(0),
    });
    client.on('message', (data) => atClient.push(data.toString()));
    client.once('upgrade', (response) => {
      client.once('open', () => {
        const frame = callerFrame(streamSid);
        frame.values[0] = 2;
        frame.values[1] = 1;
        frame.values[2] = 0;
        response.socket.write(frame.fill(9, 0, 10, true, true));
        client.send('after');
      });
    });
    try {
      await waitUntil(
        () => atServer.length === 2 && atClient.length === 3,
        'both sides to read every message',
      );
      expect(atServer).toEqual([callerText(0, streamSid, stampedPayload(9, 0, 10, true)), 'after']);
      expect(atClient).toEqual([
        elevenLabsText(0, stampedPayload(3, 0, 40)),
        'between',
        elevenLabsText(1, stampedPayload(3, 1, 60)),
      ]);
    } finally {
      client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads from a message’s bytes the stamp the writer wrote, at the payload’s offset', () => {
    const bytes = Buffer.from(`{"user_audio_chunk":"${stampedPayload(0, 0, 0)}"}`);
    writeStamp(bytes, 21, 4_000_000_000, 65_535, 123_456.789);
    expect(readStampFrom(bytes, 21)).toEqual({ call: 4_000_000_000, seq: 65_535, sentAt: 123_456.789 });
    expect(readStamp(bytes.toString(), 21)).toEqual(readStampFrom(bytes, 21));
    expect(readStampFrom(Buffer.from('{"user_audio_chunk":"AA"}'), 21)).toBeUndefined();
    expect(readStampFrom(Buffer.from(`{"user_audio_chunk":"${'*'.repeat(30)}"}`), 21)).toBeUndefined();
  });

  it('times an agent frame from its bytes, in the bridge’s field order or any other', () => {
    const stats = new RungStats();
    stats.measuring = true;
    const call = new BenchCall(3, stats);
    const payload = stampedPayload(3, 0, 0);
    call.onTwilioMessage(
      Buffer.from(`{"event":"media","streamSid":"${call.streamSid}","media":{"payload":"${payload}"}}`),
    );
    call.onTwilioMessage(
      Buffer.from(`{"event":"media","media":{"payload":"${payload}"},"streamSid":"${call.streamSid}"}`),
    );
    expect(stats.agentReceived).toBe(2);
    expect(stats.agentLatency).toHaveLength(2);
    expect(stats.errors.size).toBe(0);
    call.onTwilioMessage(
      Buffer.from(
        `{"event":"media","streamSid":"${call.streamSid}","media":{"payload":"${stampedPayload(4, 0, 0)}"}}`,
      ),
    );
    expect(stats.errors.get('agent frame with a foreign stamp')).toBe(1);
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
