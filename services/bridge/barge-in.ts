/**
 * The bridge's barge-in rule for engines that leave it to the bridge (`bargeIn: 'bridge'`, OpenAI
 * with `interrupt_response` off). Caller speech that starts while the agent is audible is a
 * candidate: once the caller's current utterance holds `minMs` of real speech it is a barge-in
 * (stop the agent now); if the engine ends the caller's turn before that, it was a backchannel
 * ("mm-hmm", "okay"): the agent goes on and the turn gets no reply. Pipecat's and LiveKit's
 * minimum-interruption settings work the same way.
 *
 * The utterance is measured from the caller's audio itself, which the bridge sees before the engine
 * reports speech (its VAD needs a few hundred ms): speech frames add up, and a new utterance starts
 * at the first speech after `UTTERANCE_GAP_MS` of quiet.
 */
export type SpeechVerdict = 'turn' | 'backchannel';

const UTTERANCE_GAP_MS = 500;

export class BargeInGate {
  private state: 'idle' | 'candidate' | 'interrupted' | 'turn' = 'idle';
  private utteranceMs = 0;
  private quietMs = 0;

  constructor(private readonly minMs: number) {}

  /**
   * One caller frame of `frameMs`, speech or not. Returns true exactly once per candidate, when it
   * becomes a barge-in.
   */
  callerFrame(frameMs: number, speech: boolean): boolean {
    if (!speech) {
      this.quietMs += frameMs;
      return false;
    }
    if (this.quietMs >= UTTERANCE_GAP_MS) this.utteranceMs = 0;
    this.quietMs = 0;
    this.utteranceMs += frameMs;
    return this.decide();
  }

  /**
   * The engine heard the caller start speaking; `agentAudible`: agent audio is still playing.
   * Returns true when the utterance already is long enough to be a barge-in.
   */
  speechStarted(agentAudible: boolean): boolean {
    if (this.state === 'candidate' || this.state === 'interrupted') return false;
    this.state = agentAudible ? 'candidate' : 'turn';
    return this.decide();
  }

  /** The engine ended the caller's turn: was it a turn to answer, or a backchannel to let pass? */
  turnEnded(): SpeechVerdict {
    const verdict: SpeechVerdict = this.state === 'candidate' ? 'backchannel' : 'turn';
    this.state = 'idle';
    return verdict;
  }

  reset(): void {
    this.state = 'idle';
  }

  private decide(): boolean {
    if (this.state !== 'candidate' || this.utteranceMs < this.minMs) return false;
    this.state = 'interrupted';
    return true;
  }
}
