/**
 * Durable session writes: a write that fails every retry is kept and written later, in
 * order, while the call goes on; a turn that lands after finalisation reaches the CRM.
 */
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { SessionWriter } from '../../services/bridge/session-writer.js';
import type { CallSessionStore } from '../../services/core/ports/call-store.js';
import { tablePerTest } from '../support/dynamo.js';
import { callSid } from '../support/twilio.js';

const db = tablePerTest((doc, tableName) => new DynamoCallSessionStore(doc, { tableName }));

/** The store, with a switch that makes every write fail as DynamoDB does when throttled. */
function flaky(inner: CallSessionStore) {
  const state = { down: false, failures: 0 };
  const fail = () => {
    state.failures += 1;
    throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
  };
  const store: CallSessionStore = {
    ...inner,
    get: (sid) => inner.get(sid),
    appendTurn: async (sid, turn) => (state.down ? fail() : inner.appendTurn(sid, turn)),
    appendToolCall: async (sid, record) => (state.down ? fail() : inner.appendToolCall(sid, record)),
    markEnded: async (sid, reason, at) => (state.down ? fail() : inner.markEnded(sid, reason, at)),
    recordEngine: async (sid, engine) => (state.down ? fail() : inner.recordEngine(sid, engine)),
  };
  return { store, state };
}

async function openSession(sid: string) {
  await db.store.open({
    callSid: sid,
    direction: 'inbound',
    from: '+12125550123',
    to: '+12125550100',
    provider: 'elevenlabs',
    streamTokenHash: 'a'.repeat(64),
    createdAt: Date.now(),
  });
}

describe('SessionWriter', () => {
  test('writes failing through an outage are kept and land, in order, once the store is back', async () => {
    const sid = callSid(100);
    await openSession(sid);
    const { store: flakyStore, state } = flaky(db.store);
    const writer = new SessionWriter(flakyStore, sid, Date.now, { backlogFirstRetryMs: 50 });
    writer.turn('agent', 'Hello, Bolt Plumbing.');
    await writer.flush();
    state.down = true;
    writer.turn('caller', 'My boiler is leaking.');
    writer.turn('agent', 'I can book a visit.');
    writer.ended('caller-hung-up');
    // Let the retries run out: the writes go to the backlog, the call is not held up.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(writer.pending).toBe(3);
    expect(writer.failed.map((f) => f.kind)).toEqual(['turn']);
    state.down = false;
    await writer.flush();
    expect(writer.pending).toBe(0);
    const record = await db.store.get(sid);
    expect(record?.turns.map((t) => t.text)).toEqual([
      'Hello, Bolt Plumbing.',
      'My boiler is leaking.',
      'I can book a visit.',
    ]);
    expect(record?.session).toMatchObject({ status: 'ended', endReason: 'caller-hung-up' });
  });

  test('flush lets the call go after its limit when the store stays down, and says so', async () => {
    const sid = callSid(101);
    await openSession(sid);
    const { store: flakyStore, state } = flaky(db.store);
    state.down = true;
    const writer = new SessionWriter(flakyStore, sid, Date.now, {
      backlogFirstRetryMs: 50,
      flushBacklogLimitMs: 200,
    });
    writer.turn('caller', 'Hello?');
    await writer.flush();
    expect(writer.pending).toBe(1);
  });

  test('a write DynamoDB refuses for good (an item over 400 KB) is set aside; the writes behind it land', async () => {
    const sid = callSid(103);
    await openSession(sid);
    const writer = new SessionWriter(db.store, sid, Date.now, {
      backlogFirstRetryMs: 50,
      flushBacklogLimitMs: 3000,
    });
    writer.turn('caller', 'Hello?');
    const tooLarge = writer.turn('agent', 'x'.repeat(420 * 1024));
    writer.rewriteTurn(tooLarge, 'y'.repeat(420 * 1024), true);
    writer.turn('caller', 'Can you hear me?');
    writer.ended('caller-hung-up');
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect(writer.setAside).toEqual([
      expect.objectContaining({ kind: 'turn', seq: tooLarge }),
      expect.objectContaining({ kind: 'turn', seq: tooLarge }),
    ]);
    const record = await db.store.get(sid);
    expect(record?.turns.map((t) => t.text)).toEqual(['Hello?', 'Can you hear me?']);
    expect(record?.session).toMatchObject({ status: 'ended', endReason: 'caller-hung-up' });
  });

  test("the agent's latest turn is rewritten after a caller turn; an older one is left as written", async () => {
    const sid = callSid(104);
    await openSession(sid);
    const writer = new SessionWriter(db.store, sid, Date.now);
    const first = writer.turn('agent', 'Hello, Bolt Plumbing.');
    const cut = writer.turn('agent', 'We can come on Tuesday at nine or on Wednesday.');
    writer.turn('caller', 'Tuesday!');
    writer.rewriteTurn(cut, 'We can come on Tuesday', true);
    writer.rewriteTurn(first, 'Hello', true);
    await writer.flush();
    const record = await db.store.get(sid);
    expect(record?.turns.map((t) => [t.text, t.interrupted ?? false])).toEqual([
      ['Hello, Bolt Plumbing.', false],
      ['We can come on Tuesday', true],
      ['Tuesday!', false],
    ]);
  });

  test('a turn written after finalisation puts the call back on the sweep index, flagged', async () => {
    const sid = callSid(102);
    await openSession(sid);
    await db.store.markFinalised(sid, Date.now());
    expect(await db.store.listUnfinalised(Date.now() + 1, 10)).toEqual([]);
    await db.store.appendTurn(sid, { seq: 7, role: 'agent', text: 'Goodbye!', at: Date.now() });
    expect(await db.store.listUnfinalised(Date.now() + 1, 10)).toEqual([
      expect.objectContaining({ callSid: sid, status: 'finalised' }),
    ]);
    await db.store.lateTurnsSaved(sid, 1);
    expect(await db.store.listUnfinalised(Date.now() + 1, 10)).toEqual([]);
  });
});
