import {
  TURN_TAKING_DEFAULTS,
  type TurnActions,
  TurnTaking,
} from '../../../services/bridge/turn-taking/turn-taking';

const SPEECH = -20;
const QUIET = -65;

/** The rule against a fake clock: frames every 20 ms, an agent whose audibility the test sets. */
function rig(decides = true, tuning: Partial<typeof TURN_TAKING_DEFAULTS> = { replyAfterQuietMs: 0 }) {
  const actions: string[] = [];
  const counts = { bargeIn: 0, falseInterruption: 0, turnSwallowed: 0 };
  const latencies: number[] = [];
  const state = { now: 0, audible: false, busy: false };
  const record =
    (name: string, effect?: () => void): (() => void) =>
    () => {
      actions.push(name);
      effect?.();
    };
  const turnActions: TurnActions = {
    pause: record('pause', () => {
      state.audible = false;
    }),
    hold: record('hold'),
    resume: record('resume', () => {
      state.audible = true;
    }),
    interrupt: record('interrupt', () => {
      state.audible = false;
    }),
    respond: record('respond'),
    reprompt: record('reprompt'),
  };
  const turns = new TurnTaking(
    { ...TURN_TAKING_DEFAULTS, ...tuning, decides },
    turnActions,
    {
      turnLatency: (ms) => latencies.push(ms),
      bargeIn: () => counts.bargeIn++,
      falseInterruption: () => counts.falseInterruption++,
      turnSwallowed: () => counts.turnSwallowed++,
      event: () => {},
    },
    () => state.audible,
    () => state.busy,
  );
  const frames = (ms: number, level: number) => {
    for (let t = 0; t < ms; t += 20) {
      state.now += 20;
      turns.callerFrame(level, 20, state.now);
    }
  };
  /** The agent starts a reply: audio arrives and plays. */
  const agentSpeaks = () => {
    state.audible = true;
    turns.agentAudio(state.now);
  };
  const agentDone = () => {
    state.audible = false;
    turns.playbackChanged(state.now);
  };
  /** The engine ends the caller's turn now, and its transcript follows at once. */
  const turnEndsSaying = (text: string) => {
    turns.engineTurnEnded(state.now);
    turns.callerTranscript(text, state.now);
  };
  // The caller has spoken once at their level before (the detector knows the line and the voice).
  frames(400, QUIET);
  frames(600, SPEECH);
  frames(400, QUIET);
  turns.engineTurnEnded(state.now);
  agentSpeaks();
  frames(1000, QUIET); // the agent has been answering for a second
  actions.length = 0;
  latencies.length = 0;
  return { turns, actions, counts, latencies, state, frames, agentSpeaks, agentDone, turnEndsSaying };
}

describe('turn-taking when the bridge decides (OpenAI)', () => {
  it('pauses the agent on speech over it, and resumes the same answer after a backchannel', () => {
    const { actions, counts, frames, turnEndsSaying } = rig();
    frames(300, SPEECH); // "uh huh"
    expect(actions).toEqual(['pause']);
    frames(300, QUIET);
    turnEndsSaying('Uh-huh.');
    expect(actions).toEqual(['pause', 'resume']);
    expect(counts).toEqual({ bargeIn: 0, falseInterruption: 1, turnSwallowed: 0 });
  });

  it('resumes a blip (a cough) without waiting for words', () => {
    const { actions, frames } = rig();
    frames(240, SPEECH);
    frames(500, QUIET);
    expect(actions).toEqual(['pause', 'resume']);
  });

  it('resumes longer speech when no words come within the wait', () => {
    const { actions, frames } = rig();
    frames(600, SPEECH);
    frames(TURN_TAKING_DEFAULTS.transcriptWaitMs - 100, QUIET);
    expect(actions).toEqual(['pause']);
    frames(200, QUIET);
    expect(actions).toEqual(['pause', 'resume']);
  });

  it('interrupts on speech long enough, and answers once the turn ends', () => {
    const { actions, counts, frames, turnEndsSaying } = rig();
    frames(TURN_TAKING_DEFAULTS.interruptAfterMs + 40, SPEECH);
    expect(actions).toEqual(['pause', 'interrupt']);
    frames(1500, SPEECH);
    frames(600, QUIET);
    turnEndsSaying('Actually wait, I need to change the time.');
    expect(actions).toEqual(['pause', 'interrupt', 'respond']);
    expect(counts.bargeIn).toBe(1);
  });

  it('interrupts a pause whose transcript has real words, and answers it', () => {
    const { turns, actions, frames, state } = rig();
    frames(600, SPEECH); // "How much is it?"
    frames(600, QUIET);
    turns.engineTurnEnded(state.now);
    expect(actions).toEqual(['pause']);
    turns.callerTranscript('How much is it?', state.now);
    expect(actions).toEqual(['pause', 'interrupt', 'respond']);
  });

  it('answers a turn that ends once the agent is no longer audible', () => {
    const { turns, actions, frames, state, agentDone } = rig();
    agentDone();
    frames(800, SPEECH);
    frames(600, QUIET);
    turns.engineTurnEnded(state.now);
    expect(actions).toEqual(['respond']);
  });

  it('answers words heard over the agent’s last audio once the agent has finished, never dropping them', () => {
    const { turns, actions, frames, state, agentDone } = rig();
    // The engine ends the turn while the agent is still audible; the words come after.
    state.audible = true;
    turns.engineTurnEnded(state.now);
    expect(actions).toEqual([]);
    frames(100, QUIET);
    agentDone();
    turns.callerTranscript('How much is it?', state.now);
    expect(actions).toEqual(['respond']);
  });

  it('holds a reply until the caller has been quiet a while, cancels it unheard when they go on, and answers once', () => {
    const { turns, actions, frames, state, agentSpeaks, agentDone, latencies, turnEndsSaying } = rig(
      true,
      {},
    );
    agentDone();
    frames(800, SPEECH); // "I run a"
    frames(600, QUIET); // the engine's VAD ends the turn at the pause
    turns.engineTurnEnded(state.now);
    expect(actions).toEqual(['respond']);
    frames(200, QUIET);
    agentSpeaks(); // the reply starts just as the caller goes on
    frames(120, SPEECH); // "… plumbing company"
    // The reply came before the caller had been quiet long enough: held, then cancelled unheard.
    expect(actions).toEqual(['respond', 'hold', 'interrupt']);
    frames(1000, SPEECH);
    frames(600, QUIET);
    turnEndsSaying('plumbing company.');
    expect(actions).toEqual(['respond', 'hold', 'interrupt', 'respond']);
    frames(300, QUIET);
    agentSpeaks(); // held too, until the caller has been quiet a second
    frames(800, QUIET);
    expect(actions).toEqual(['respond', 'hold', 'interrupt', 'respond', 'hold', 'resume']);
    // Only the answer heard is a sample, from where the caller last stopped speaking (the quiet is
    // counted after the detector's 60 ms hangover).
    expect(latencies).toEqual([TURN_TAKING_DEFAULTS.replyAfterQuietMs + 60]);
  });

  it('asks for the answer itself when the engine shows no sign of hearing the caller (a frozen engine then fails its watchdog)', () => {
    const { actions, frames, agentDone } = rig();
    agentDone();
    frames(700, SPEECH);
    frames(1500, QUIET);
    expect(actions).toEqual([]);
    frames(600, QUIET);
    expect(actions).toEqual(['respond']);
  });

  it('leaves the answer to the engine when it heard the caller', () => {
    const { actions, frames, agentDone, turns, state } = rig();
    agentDone();
    frames(100, SPEECH);
    turns.engineSpeechStarted(state.now);
    frames(600, SPEECH);
    frames(3000, QUIET);
    expect(actions).toEqual([]);
  });

  it('re-prompts once after a silence once the agent has finished, not while a tool runs', () => {
    const { actions, frames, state, agentDone, turns } = rig();
    agentDone();
    state.busy = true;
    frames(TURN_TAKING_DEFAULTS.repromptAfterMs + 1000, QUIET);
    expect(actions).toEqual([]);
    state.busy = false;
    frames(TURN_TAKING_DEFAULTS.repromptAfterMs + 40, QUIET);
    expect(actions).toEqual(['reprompt']);
    turns.agentAudio(state.now);
    state.audible = true;
    agentDone();
    frames(3 * TURN_TAKING_DEFAULTS.repromptAfterMs, QUIET);
    expect(actions).toEqual(['reprompt']);
  });
});

describe('turn-taking when the engine decides (ElevenLabs)', () => {
  /** The engine decides turns; its answer has finished playing, and the line waits for the caller. */
  const afterTheAnswer = () => {
    const rigged = rig(false);
    rigged.agentDone();
    /** The caller speaks 600 ms, is quiet 500 ms, and the engine ends the turn with `text`. */
    const callerTurn = (text: string) => {
      rigged.frames(600, SPEECH);
      rigged.frames(500, QUIET);
      rigged.turnEndsSaying(text);
    };
    return { ...rigged, callerTurn };
  };

  it('only measures: no pause, no answer asked; latency from the caller’s last speech', () => {
    const { actions, frames, agentSpeaks, latencies, callerTurn } = afterTheAnswer();
    callerTurn('Hello there.');
    frames(200, QUIET);
    agentSpeaks();
    expect(actions).toEqual([]);
    expect(latencies).toEqual([500 + 200]);
  });

  it('starts no latency sample for an empty transcript', () => {
    const { frames, agentSpeaks, latencies, turnEndsSaying } = afterTheAnswer();
    frames(500, QUIET);
    turnEndsSaying('  ');
    agentSpeaks();
    expect(latencies).toEqual([]);
  });

  it('counts a caller turn with words that is never answered as swallowed', () => {
    const { turns, frames, state, counts, callerTurn } = afterTheAnswer();
    callerTurn('Can I book for Tuesday?');
    frames(9000, QUIET);
    expect(counts.turnSwallowed).toBe(1);
    turns.callEnded(state.now);
    expect(counts.turnSwallowed).toBe(1);
  });
});
