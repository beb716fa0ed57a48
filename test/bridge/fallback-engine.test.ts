import { FallbackEngine, NoEngineError } from '../../services/bridge/fallback-engine';
import { logger } from '../../services/core/logging';
import {
  type EngineCallContext,
  type EngineListener,
  type EngineName,
  type EngineSession,
  EngineStartError,
  type VoiceEngine,
} from '../../services/core/voice-engine';
import { recorder } from '../support/engine-recorder';

const context: EngineCallContext = {
  callSid: 'CAfallback',
  streamSid: 'MZfallback',
  direction: 'inbound',
  remoteNumber: '+15551230000',
  businessName: 'Bolt',
  businessTimezone: 'America/New_York',
  now: 0,
  tools: [],
};

/** An engine double: `fail` refuses to start; each started session records what it was sent. */
function member(name: EngineName, options: { fail?: string } = {}) {
  const sessions: Array<{
    listener: EngineListener;
    context: EngineCallContext;
    audio: string[];
    results: string[];
    notes: string[];
  }> = [];
  const engine: VoiceEngine = {
    name,
    capabilities: {
      turnDetection: 'engine',
      bargeIn: 'engine',
      truncateOnBargeIn: false,
      toolProtocol: 'client-tool',
    },
    async start(callContext, listener) {
      if (options.fail) throw new EngineStartError(name, options.fail);
      const state = {
        listener,
        context: callContext,
        audio: [] as string[],
        results: [] as string[],
        notes: [] as string[],
      };
      sessions.push(state);
      const session: EngineSession = {
        sendCallerAudio: (payload) => state.audio.push(payload) > 0,
        sendToolResult: (callId) => state.results.push(callId),
        truncate: () => {},
        cancelResponse: () => {},
        respond: () => {},
        sendKeypress: () => {},
        instruct: (text) => state.notes.push(text),
        bufferedAmount: () => 0,
        close: () => {},
      };
      return session;
    },
  };
  return { engine, sessions };
}

const options = { connectTimeoutMs: 1000, now: Date.now, log: logger };

describe('FallbackEngine', () => {
  it('starts the first member that can, reporting why the others could not', async () => {
    const down = member('elevenlabs', { fail: 'signed URL request answered HTTP 503' });
    const up = member('openai');
    const r = recorder();
    const changes: unknown[] = [];
    r.listener.engineChanged = (change) => changes.push(change);
    await new FallbackEngine([down.engine, up.engine], options).start(
      context,
      r.listener,
      new AbortController().signal,
    );
    expect(changes).toEqual([
      expect.objectContaining({
        engine: 'openai',
        startFailures: 'elevenlabs: signed URL request answered HTTP 503',
      }),
    ]);
  });

  it('rejects with every reason when no member starts', async () => {
    const start = new FallbackEngine(
      [member('elevenlabs', { fail: 'a' }).engine, member('openai', { fail: 'b' }).engine],
      options,
    ).start(context, recorder().listener, new AbortController().signal);
    await expect(start).rejects.toEqual(new NoEngineError('elevenlabs: a; openai: b'));
  });

  it('mid-call: hands over, queues caller audio of the gap, and tells the next engine about a late tool result', async () => {
    const first = member('elevenlabs');
    const second = member('openai');
    const r = recorder();
    const session = await new FallbackEngine([first.engine, second.engine], options).start(
      context,
      r.listener,
      new AbortController().signal,
    );
    const one = first.sessions[0]!;
    one.listener.transcript('caller', 'Book me in on Friday.');
    one.listener.toolCall({ callId: 't1', name: 'book_appointment', args: { start: 'fri' } });
    one.listener.toolCall({ callId: 't2', name: 'save_lead', args: { name: 'Sam' } });
    session.sendToolResult('t1', { ok: true, text: 'Booked.' });
    expect(one.results).toEqual(['t1']);

    one.listener.ended({ kind: 'engine-closed', code: 1011 });
    session.sendCallerAudio('AAAA');
    session.sendToolResult('t2', { ok: true, text: 'Saved.' }); // finished while switching
    await new Promise((resolve) => setImmediate(resolve));

    const two = second.sessions[0]!;
    expect(two.context.handover).toEqual({
      from: 'elevenlabs',
      reason: 'engine-closed (1011)',
      turns: [{ role: 'caller', text: 'Book me in on Friday.' }],
      toolResults: [{ name: 'book_appointment', args: { start: 'fri' }, result: 'Booked.' }],
    });
    expect(two.audio).toEqual(['AAAA']);
    expect(two.results).toEqual([]);
    expect(two.notes).toEqual([expect.stringContaining('save_lead({"name":"Sam"}): Saved.')]);
    expect(r.ended).toEqual([]);
  });

  it('passes a normal close on, without failing over', async () => {
    const first = member('elevenlabs');
    const second = member('openai');
    const r = recorder();
    await new FallbackEngine([first.engine, second.engine], options).start(
      context,
      r.listener,
      new AbortController().signal,
    );
    first.sessions[0]!.listener.ended({ kind: 'engine-closed', code: 1000 });
    expect(r.ended).toEqual([{ kind: 'engine-closed', code: 1000 }]);
    expect(second.sessions).toEqual([]);
  });
});
