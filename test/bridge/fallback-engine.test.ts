import { FallbackEngine, NoEngineError } from '../../services/bridge/fallback-engine';
import type { EngineCallContext, EngineChange, EngineSwitch } from '../../services/core/ports/engine';
import { logger } from '../../services/core/shared/logging';
import { recorder } from '../support/engine-recorder';
import { fakeEngine } from '../support/fake-engine';

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

const options = { connectTimeoutMs: 1000, now: Date.now, log: logger };

describe('FallbackEngine', () => {
  it('starts the first member that can, reporting why the others could not', async () => {
    const down = fakeEngine('elevenlabs', { fail: 'signed URL request answered HTTP 503' });
    const up = fakeEngine('openai');
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

  it('names a member before it forwards any of its audio (it may speak in the packet of its ready)', async () => {
    const eager = fakeEngine('elevenlabs', { speaksAtReady: 'SGk=' });
    const r = recorder();
    const order: string[] = [];
    r.listener.engineChanged = (change) => order.push(`changed:${change.engine}`);
    r.listener.audio = (payload) => order.push(`audio:${payload}`);
    await new FallbackEngine([eager.engine], options).start(
      context,
      r.listener,
      new AbortController().signal,
    );
    expect(order).toEqual(['changed:elevenlabs', 'audio:SGk=']);
  });

  it('rejects with every reason when no member starts', async () => {
    const start = new FallbackEngine(
      [fakeEngine('elevenlabs', { fail: 'a' }).engine, fakeEngine('openai', { fail: 'b' }).engine],
      options,
    ).start(context, recorder().listener, new AbortController().signal);
    await expect(start).rejects.toEqual(new NoEngineError('elevenlabs: a; openai: b'));
  });

  it('mid-call: hands over, queues caller audio of the gap, and tells the next engine about a late tool result', async () => {
    const first = fakeEngine('elevenlabs');
    const second = fakeEngine('openai');
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
    const first = fakeEngine('elevenlabs');
    const second = fakeEngine('openai');
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

/** A started composite over two doubles, recording `switching` and `engineChanged`. */
async function twoMembers(
  secondOptions: { speaksAtReady?: string } = {},
  extra: Partial<typeof options> & { maxBufferedBytes?: number } = {},
) {
  const first = fakeEngine('openai');
  const second = fakeEngine('elevenlabs', secondOptions);
  const r = recorder();
  const switches: EngineSwitch[] = [];
  const changes: EngineChange[] = [];
  r.listener.switching = (event) => switches.push(event);
  r.listener.engineChanged = (change) => changes.push(change);
  const session = await new FallbackEngine([first.engine, second.engine], { ...options, ...extra }).start(
    context,
    r.listener,
    new AbortController().signal,
  );
  return { first, second, r, switches, changes, session };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FallbackEngine: a frozen member is a member that dropped', () => {
  it('fails a stalled member over, telling the bridge to hold the caller, and marks the switch as a stall', async () => {
    const { first, second, r, switches, changes } = await twoMembers();
    first.sessions[0]!.listener.ended({
      kind: 'engine-stalled',
      stall: 'keepalive',
      detail: 'no pong for 5000 ms',
    });
    expect(switches).toEqual([
      {
        from: 'openai',
        reason: 'engine-stalled (keepalive): no pong for 5000 ms',
        stall: 'keepalive',
        at: expect.any(Number),
      },
    ]);
    expect(first.sessions[0]!.closed).toBe(true);
    await settle();
    expect(second.sessions).toHaveLength(1);
    expect(second.sessions[0]!.context.handover?.reason).toBe(
      'engine-stalled (keepalive): no pong for 5000 ms',
    );
    expect(changes.at(-1)).toMatchObject({
      engine: 'elevenlabs',
      previous: {
        engine: 'openai',
        reason: 'engine-stalled (keepalive): no pong for 5000 ms',
        stall: 'keepalive',
      },
    });
    expect(r.ended).toEqual([]);
  });

  it('a drop that is not a stall switches without a stall mark', async () => {
    const { first, switches, changes } = await twoMembers();
    first.sessions[0]!.listener.ended({
      kind: 'engine-error',
      detail: 'response failed twice: server_error',
    });
    await settle();
    expect(switches).toEqual([
      {
        from: 'openai',
        reason: 'engine-error: response failed twice: server_error',
        stall: undefined,
        at: expect.any(Number),
      },
    ]);
    expect(changes.at(-1)?.previous).toEqual({
      engine: 'openai',
      reason: 'engine-error: response failed twice: server_error',
      droppedAt: expect.any(Number),
    });
  });

  it('fails over a member whose socket stopped draining, instead of ending the call, losing no caller audio', async () => {
    const { first, second, r, switches, session } = await twoMembers({}, { maxBufferedBytes: 1000 });
    const one = first.sessions[0]!;
    expect(session.sendCallerAudio('AAAA')).toBe(true);
    one.buffered = 1001;
    expect(session.sendCallerAudio('BBBB')).toBe(true);
    expect(switches).toEqual([
      expect.objectContaining({
        from: 'openai',
        stall: 'backpressure',
        reason: expect.stringContaining('1001 bytes'),
      }),
    ]);
    expect(session.sendCallerAudio('CCCC')).toBe(true);
    await settle();
    expect(one.audio).toEqual(['AAAA']);
    expect(one.closed).toBe(true);
    expect(second.sessions[0]!.audio).toEqual(['BBBB', 'CCCC']);
    expect(r.ended).toEqual([]);
  });

  it('delivers the gap audio to a member that has not spoken yet', async () => {
    const { first, second, session } = await twoMembers();
    first.sessions[0]!.listener.ended({ kind: 'engine-closed', code: 1011 });
    session.sendCallerAudio('GAP1');
    session.sendCallerAudio('GAP2');
    await settle();
    expect(second.sessions[0]!.audio).toEqual(['GAP1', 'GAP2']);
  });

  it('never replays the gap audio after the new member has spoken: the caller answers its opening line', async () => {
    const { first, second, r, session } = await twoMembers({ speaksAtReady: 'T1BFTg==' });
    first.sessions[0]!.listener.ended({ kind: 'engine-closed', code: 1011 });
    session.sendCallerAudio('GAP1');
    session.sendCallerAudio('GAP2');
    await settle();
    expect(r.audio).toEqual([{ payload: 'T1BFTg==', itemId: 'opening' }]);
    expect(second.sessions[0]!.audio).toEqual([]);
    session.sendCallerAudio('NEW1');
    expect(second.sessions[0]!.audio).toEqual(['NEW1']);
  });

  it('hands over an agent turn cut by a barge-in as the caller heard it (cut after or before its transcript)', async () => {
    const { first, second, session } = await twoMembers();
    const one = first.sessions[0]!;
    // 400 ms of item A (3200 bytes), its transcript, then a cut at 100 ms: a quarter was heard.
    for (let i = 0; i < 4; i++) one.listener.audio(Buffer.alloc(800).toString('base64'), 'A');
    one.listener.transcript('agent', 'one two three four five six seven eight', { itemId: 'A' });
    session.truncate('A', 100);
    expect(one.truncations).toEqual([['A', 100]]);
    one.listener.transcript('caller', 'Sorry, what?');
    // Item B cut at half before its transcript arrived.
    for (let i = 0; i < 2; i++) one.listener.audio(Buffer.alloc(800).toString('base64'), 'B');
    session.truncate('B', 100);
    one.listener.transcript('agent', 'alpha beta gamma delta', { itemId: 'B' });
    // Item C cut before any of it played: the caller heard none of it.
    one.listener.audio(Buffer.alloc(800).toString('base64'), 'C');
    session.truncate('C', 0);
    one.listener.transcript('agent', 'never heard', { itemId: 'C' });
    one.listener.transcript('caller', 'Go on.');
    one.listener.ended({ kind: 'engine-closed', code: 1006 });
    await settle();
    expect(second.sessions[0]!.context.handover?.turns).toEqual([
      { role: 'agent', text: 'one two —' },
      { role: 'caller', text: 'Sorry, what?' },
      { role: 'agent', text: 'alpha beta —' },
      { role: 'caller', text: 'Go on.' },
    ]);
  });
});
