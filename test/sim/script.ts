/**
 * A conversation a simulated engine plays (ElevenLabs and OpenAI simulators share this shape), so the
 * same scenario runs against both engines and drives the local demo. Audio clips are names of files
 * in test/fixtures/audio (without `.ulaw`).
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
   * How long the caller must be silent before the simulated turn-taking model ends their turn.
   * Longer than the 0.9 s pause in caller-mid-sentence-pause, so a thinking pause never cuts them off.
   */
  endOfTurnSilenceMs?: number;
}
