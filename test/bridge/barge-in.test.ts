import { BargeInGate } from '../../services/bridge/barge-in';
import { frameMs, isSpeech } from '../../services/bridge/caller-voice';
import { HeardTranscript, wordsHeard } from '../../services/bridge/heard-transcript';
import { loadClip, silence } from '../../services/local/sim/audio';

/** Feeds a clip frame by frame, as Twilio sends it; returns whether it became a barge-in. */
function feed(gate: BargeInGate, clip: Buffer): boolean {
  let bargedIn = false;
  for (let offset = 0; offset < clip.length; offset += 160) {
    const frame = clip.subarray(offset, offset + 160);
    if (gate.callerFrame(frameMs(frame.length), isSpeech(frame))) bargedIn = true;
  }
  return bargedIn;
}

describe('BargeInGate (BARGE_IN_MIN_MS 600)', () => {
  it('lets the recorded backchannel ("hmm. okay.") pass while the agent speaks', () => {
    const gate = new BargeInGate(600);
    gate.speechStarted(true);
    expect(feed(gate, loadClip('caller-backchannel'))).toBe(false);
    expect(gate.turnEnded()).toBe('backchannel');
  });

  it('stops the agent once real speech passes 600 ms, even when the VAD reports it late', () => {
    const gate = new BargeInGate(600);
    expect(feed(gate, loadClip('caller-hello').subarray(0, 8 * 400))).toBe(false);
    expect(gate.speechStarted(true)).toBe(false);
    expect(feed(gate, loadClip('caller-hello').subarray(8 * 400, 8 * 1200))).toBe(true);
    expect(gate.turnEnded()).toBe('turn');
  });

  it('treats speech while the agent is silent as a turn, and a new utterance after a pause afresh', () => {
    const gate = new BargeInGate(600);
    gate.speechStarted(false);
    expect(feed(gate, loadClip('caller-hello'))).toBe(false);
    expect(gate.turnEnded()).toBe('turn');
    feed(gate, silence(600));
    expect(feed(gate, loadClip('caller-backchannel'))).toBe(false);
    expect(gate.speechStarted(true)).toBe(false);
    expect(gate.turnEnded()).toBe('backchannel');
  });
});

describe('HeardTranscript', () => {
  function sink() {
    const turns: Array<{ role: string; text: string; interrupted?: boolean }> = [];
    return {
      turns,
      turn: (role: 'caller' | 'agent', text: string, options: { interrupted?: boolean } = {}) =>
        turns.push({ role, text, ...options }),
      rewriteTurn: (seq: number, text: string, interrupted: boolean) => {
        turns[seq - 1] = { ...turns[seq - 1]!, text, interrupted };
      },
    };
  }

  it('cuts an agent turn at the share of its audio the caller heard, before or after its transcript', () => {
    const s = sink();
    const heard = new HeardTranscript(s);
    heard.agent('one two three four five six seven eight', { itemId: 'a' });
    heard.cut('a', 500, 1000);
    heard.cut('b', 250, 1000);
    heard.agent('alpha beta gamma delta', { itemId: 'b' });
    expect(s.turns).toEqual([
      { role: 'agent', text: 'one two three four —', interrupted: true },
      { role: 'agent', text: 'alpha —', interrupted: true },
    ]);
  });

  it('replaces the last agent turn with a correction', () => {
    const s = sink();
    const heard = new HeardTranscript(s);
    heard.agent('Our hours are nine to five.');
    heard.agent('Our hours', { replacesLast: true, interrupted: true });
    expect(s.turns).toEqual([{ role: 'agent', text: 'Our hours', interrupted: true }]);
  });

  it('keeps whole words', () => {
    expect(wordsHeard('a b c', 1)).toBe('a b c');
    expect(wordsHeard('a b c', 0.1)).toBe('');
  });
});
