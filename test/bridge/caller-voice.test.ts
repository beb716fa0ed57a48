import { CALLER_SCRATCH, decodeCallerFrame, frameMs, isSpeech } from '../../services/bridge/caller-voice';
import { loadClip, silence } from '../../services/local/sim/audio';

describe('caller frame measure', () => {
  it('decodes into the shared scratch buffer, byte for byte, and measures only the decoded bytes', () => {
    const speech = loadClip('caller-hello').subarray(8000, 8160); // one 20 ms frame, mid-word
    const quiet = silence(20);
    expect(decodeCallerFrame(speech.toString('base64'))).toBe(160);
    expect(CALLER_SCRATCH.subarray(0, 160).equals(speech)).toBe(true);
    expect(isSpeech(CALLER_SCRATCH, 160)).toBe(true);
    // A quiet frame decoded over it: only its own 160 bytes count, not what the speech left behind.
    const length = decodeCallerFrame(quiet.toString('base64'));
    expect(isSpeech(CALLER_SCRATCH, length)).toBe(false);
    expect(frameMs(length)).toBe(20);
  });
});
