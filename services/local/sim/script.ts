/**
 * A conversation a simulated engine plays (ElevenLabs and OpenAI simulators share this shape), so the
 * same scenario runs against both engines and drives the local demo. Audio clips are names of files
 * in services/local/sim/audio (without `.ulaw`).
 */
export interface AgentUtterance {
  text: string;
  audioClip: string;
}

export interface ScriptedTurn {
  /** What the engine "heard" once the caller's turn ended (reported as the user transcript). */
  callerSays: string;
  /** Tools the agent calls, in order, before it answers; each waits for its result. */
  tools?: Array<{ name: string; params: Record<string, unknown> }>;
  agentSays: AgentUtterance;
}

export interface ConversationScript {
  greeting: AgentUtterance;
  turns: ScriptedTurn[];
  /**
   * How long the caller must be silent before the simulated turn-taking model ends their turn
   * (default END_OF_TURN_SILENCE_MS). Longer than the thinking pause in caller-mid-sentence-pause
   * (0.9 s spoken, 1.34 s as `isSilentUlaw` measures it with the quiet word endings), so that pause
   * never ends the caller's turn.
   */
  endOfTurnSilenceMs?: number;
}

export const END_OF_TURN_SILENCE_MS = 1600;
