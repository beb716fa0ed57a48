import { isSilentUlaw } from '../../../services/local/sim/audio.js';
import {
  decodeUlaw,
  decodeUlawSample,
  encodeUlawSample,
  UlawFrameEncoder,
} from '../../../services/local/web/mulaw.js';

describe('the softphone μ-law codec', () => {
  test('silence is 0xFF, as Twilio sends it', () => {
    expect(encodeUlawSample(0)).toBe(0xff);
    expect(decodeUlawSample(0xff)).toBe(0);
  });

  test('full scale and sign', () => {
    expect(encodeUlawSample(1)).toBe(0x80);
    expect(encodeUlawSample(-1)).toBe(0x00);
    expect(decodeUlawSample(0x80)).toBeCloseTo(32124 / 32768, 5);
    expect(decodeUlawSample(0x00)).toBeCloseTo(-32124 / 32768, 5);
  });

  test('every byte survives decode → encode (the codec is its own inverse on its code points)', () => {
    for (let byte = 0; byte < 256; byte++) {
      if (byte === 0x7f) continue; // negative zero decodes to 0, which encodes as positive zero 0xFF
      expect(encodeUlawSample(decodeUlawSample(byte))).toBe(byte);
    }
  });

  test('48 kHz in, 20 ms frames of 160 bytes out; quiet stays silent for the engine', () => {
    const encoder = new UlawFrameEncoder(48_000);
    const quiet = encoder.push(new Float32Array(960 * 3).fill(0.0005));
    expect(quiet).toHaveLength(3);
    for (const frame of quiet) {
      expect(frame).toHaveLength(160);
      expect(isSilentUlaw(Buffer.from(frame))).toBe(true);
    }
    const tone = Float32Array.from(
      { length: 960 },
      (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48_000),
    );
    const [frame] = encoder.push(tone);
    expect(isSilentUlaw(Buffer.from(frame as Uint8Array))).toBe(false);
    const peak = Math.max(...decodeUlaw(frame as Uint8Array).map(Math.abs));
    expect(peak).toBeGreaterThan(0.4);
    expect(peak).toBeLessThan(0.55);
  });

  test('44.1 kHz keeps the rate: one second in, fifty frames out', () => {
    const encoder = new UlawFrameEncoder(44_100);
    let frames = 0;
    for (let i = 0; i < 44_100; i += 128)
      frames += encoder.push(new Float32Array(Math.min(128, 44_100 - i))).length;
    expect(frames).toBe(50);
  });
});
