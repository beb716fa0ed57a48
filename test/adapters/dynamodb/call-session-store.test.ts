import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoCallSessionStore } from '../../../services/adapters/dynamodb/call-session-store.js';
import { ensureCallTable } from '../../../services/adapters/dynamodb/call-table.js';
import type { NewCallSession } from '../../../services/core/call/call-session.js';
import { tablePerTest } from '../../support/dynamo.js';

const NOW = Date.UTC(2026, 10, 25, 14, 0, 0);
const CALL = 'CA0123456789abcdef0123456789abcdef';

function newSession(overrides: Partial<NewCallSession> = {}): NewCallSession {
  return {
    callSid: CALL,
    direction: 'inbound',
    from: '+15551230001',
    to: '+15550001111',
    provider: 'elevenlabs',
    streamTokenHash: 'a'.repeat(64),
    createdAt: NOW,
    ...overrides,
  };
}

const db = tablePerTest((doc, tableName) => new DynamoCallSessionStore(doc, { tableName, now: () => NOW }));

async function rawItem(sk: string): Promise<Record<string, unknown> | undefined> {
  const result = await db.doc.send(new GetCommand({ TableName: db.table, Key: { pk: `CALL#${CALL}`, sk } }));
  return result.Item;
}

/** The call's session, its stream claimed by the bridge at NOW + 1 s. */
async function streamingCall(): Promise<void> {
  await db.store.open(newSession());
  await db.store.claimStream(CALL, 'a'.repeat(64), 'MZ1', NOW + 1000);
}

async function storedSession() {
  return (await db.store.get(CALL))?.session;
}

/** Runs an update and checks that it reached the table as one write. */
async function inOneWrite(update: () => Promise<unknown>): Promise<void> {
  const send = jest.spyOn(db.doc, 'send');
  await update();
  expect(send).toHaveBeenCalledTimes(1);
  send.mockRestore();
}

async function expectFinalisedSession(
  finalisedAt: number,
  endedAt: number,
  endReason: string,
): Promise<void> {
  expect(await storedSession()).toMatchObject({ status: 'finalised', finalisedAt, endedAt, endReason });
}

describe('DynamoCallSessionStore', () => {
  test('a tool call keeps the CRM write it owes (a lead or a booking) and reads it back', async () => {
    await db.store.open(newSession());
    const lead = {
      kind: 'lead' as const,
      customer: { phone: '+15551230001', name: 'Ada' },
      lead: { callSid: CALL, name: 'Ada', phone: '+15551230001', interest: 'a quote' },
    };
    await db.store.appendToolCall(CALL, {
      seq: 1,
      name: 'save_lead',
      args: { name: 'Ada' },
      result: { ok: true, text: 'Noted.', crmRepair: lead },
      at: NOW,
      durationMs: 20,
    });
    expect((await db.store.get(CALL))?.toolCalls[0]?.result).toEqual({
      ok: true,
      text: 'Noted.',
      crmRepair: lead,
    });
  });

  test('markEnded on a finalising session (Twilio first) keeps how it ended; the status stays', async () => {
    await db.store.open(newSession());
    await db.store.markFinalising(CALL);
    await db.store.markEnded(CALL, 'caller-hung-up', NOW + 5000);
    await db.store.markEnded(CALL, 'twilio-closed', NOW + 6000);
    expect((await db.store.get(CALL))?.session).toMatchObject({
      status: 'finalising',
      endedAt: NOW + 5000,
      endReason: 'caller-hung-up',
    });
    await db.store.markFinalised(CALL, NOW + 9000);
    expect((await db.store.get(CALL))?.session).toMatchObject({
      status: 'finalised',
      endReason: 'caller-hung-up',
    });
  });

  test('markEnded with the engine use writes both in one update', async () => {
    await db.store.open(newSession());
    const use = { engineSegments: [{ engine: 'elevenlabs' as const, startedAt: NOW, endedAt: NOW + 10 }] };
    await inOneWrite(() => db.store.markEnded(CALL, 'caller-hung-up', NOW + 5000, use));
    expect((await db.store.get(CALL))?.session).toMatchObject({
      status: 'ended',
      endReason: 'caller-hung-up',
      engineSegments: use.engineSegments,
    });
  });

  test('markEnded on a call already finalised still records the engine use, and not the end', async () => {
    await db.store.open(newSession());
    await db.store.markFinalised(CALL, NOW + 4000);
    const use = { engineSegments: [{ engine: 'openai' as const, startedAt: NOW, endedAt: NOW + 20 }] };
    await db.store.markEnded(CALL, 'caller-hung-up', NOW + 5000, use);
    expect((await db.store.get(CALL))?.session).toMatchObject({
      status: 'finalised',
      endReason: 'call-finished',
      engineSegments: use.engineSegments,
    });
  });

  test('open writes a created session under CALL#<sid>/SESSION with a TTL in epoch seconds', async () => {
    const customer = { id: 'cust-1', name: 'Ada' };
    expect(await db.store.open(newSession({ customer }))).toBe(true);

    const record = await db.store.get(CALL);
    expect(record?.session).toEqual({ ...newSession({ customer }), status: 'created' });
    expect(record?.turns).toEqual([]);
    expect(record?.toolCalls).toEqual([]);

    const item = await rawItem('SESSION');
    expect(item?.expiresAt).toBe(Math.floor(NOW / 1000) + 30 * 24 * 3600);
  });

  test('callerVerified: an attested inbound caller, or the callee of our own call; never an unknown call', async () => {
    expect(await db.store.callerVerified(CALL)).toBe(false);
    await db.store.open(newSession());
    expect(await db.store.callerVerified(CALL)).toBe(false);
    await db.store.open(newSession({ callSid: 'CA2', callerVerified: true }));
    expect(await db.store.callerVerified('CA2')).toBe(true);
    await db.store.open(newSession({ callSid: 'CA3', direction: 'outbound' }));
    expect(await db.store.callerVerified('CA3')).toBe(true);
  });

  test('a webhook retry while created replaces only the token hash and the customer', async () => {
    await db.store.open(newSession());
    const retried = newSession({
      streamTokenHash: 'b'.repeat(64),
      provider: 'openai',
      customer: { id: 'cust-2' },
      createdAt: NOW + 5000,
    });
    expect(await db.store.open(retried)).toBe(true);

    const session = await storedSession();
    expect(session?.streamTokenHash).toBe('b'.repeat(64));
    expect(session?.customer).toEqual({ id: 'cust-2' });
    expect(session?.provider).toBe('elevenlabs');
    expect(session?.createdAt).toBe(NOW);
    expect(session?.status).toBe('created');
  });

  test('a retry without a customer keeps the customer found before', async () => {
    await db.store.open(newSession({ customer: { id: 'cust-1' } }));
    await db.store.open(newSession({ streamTokenHash: 'c'.repeat(64) }));
    expect((await db.store.get(CALL))?.session.customer).toEqual({ id: 'cust-1' });
  });

  test('open after the stream started returns false and writes nothing', async () => {
    await streamingCall();

    expect(await db.store.open(newSession({ streamTokenHash: 'd'.repeat(64) }))).toBe(false);
    const session = await storedSession();
    expect(session?.streamTokenHash).toBe('a'.repeat(64));
    expect(session?.status).toBe('streaming');
  });

  test('open after the call ended returns false', async () => {
    await db.store.open(newSession());
    await db.store.markEnded(CALL, 'caller hung up', NOW + 2000);
    expect(await db.store.open(newSession({ streamTokenHash: 'd'.repeat(64) }))).toBe(false);
  });

  test('claimStream succeeds once with the right hash and marks the session streaming', async () => {
    await db.store.open(newSession());

    const claimed = await db.store.claimStream(CALL, 'a'.repeat(64), 'MZ1', NOW + 1000);
    expect(claimed).toEqual({
      ...newSession(),
      status: 'streaming',
      streamSid: 'MZ1',
      streamingAt: NOW + 1000,
    });
    expect(await db.store.claimStream(CALL, 'a'.repeat(64), 'MZ2', NOW + 2000)).toBeUndefined();
    expect((await db.store.get(CALL))?.session.streamSid).toBe('MZ1');
  });

  test('claimStream with a wrong hash, or for an unknown call, returns undefined and creates nothing', async () => {
    await db.store.open(newSession());
    expect(await db.store.claimStream(CALL, 'f'.repeat(64), 'MZ1', NOW)).toBeUndefined();
    expect((await db.store.get(CALL))?.session.status).toBe('created');

    const unknown = 'CAffffffffffffffffffffffffffffffff';
    expect(await db.store.claimStream(unknown, 'a'.repeat(64), 'MZ1', NOW)).toBeUndefined();
    expect(await db.store.get(unknown)).toBeUndefined();
  });

  test('a token replaced by a retry no longer claims; the new one does', async () => {
    await db.store.open(newSession());
    await db.store.open(newSession({ streamTokenHash: 'b'.repeat(64) }));
    expect(await db.store.claimStream(CALL, 'a'.repeat(64), 'MZ1', NOW)).toBeUndefined();
    expect(await db.store.claimStream(CALL, 'b'.repeat(64), 'MZ1', NOW)).toBeDefined();
  });

  test('turns and tool calls are idempotent on seq and come back in seq order', async () => {
    await db.store.open(newSession());
    // Written out of order, past 9 so a non-padded sort key would misorder them.
    for (const seq of [10, 2, 1, 11]) {
      await db.store.appendTurn(CALL, {
        seq,
        role: seq % 2 ? 'caller' : 'agent',
        text: `turn ${seq}`,
        at: NOW + seq,
      });
    }
    await db.store.appendTurn(CALL, { seq: 2, role: 'caller', text: 'a retried write', at: NOW + 99 });

    const args = { date: '2026-11-26', nested: { list: [1, 'two', null], flag: true } };
    const availability = { ok: true, text: 'Free at 10:00.' };
    const checked = {
      seq: 12,
      name: 'check_availability',
      args,
      result: availability,
      at: NOW + 12,
      durationMs: 40,
    };
    const saved = { seq: 3, name: 'save_lead', args: { name: 'Ada' }, at: NOW + 3, durationMs: 5 };
    // The second write of seq 3 is a retry: the first one stays.
    const retried = { seq: 3, name: 'end_call', args: {}, at: NOW + 4, durationMs: 1 };
    await db.store.appendToolCall(CALL, checked);
    await db.store.appendToolCall(CALL, { ...saved, result: { ok: false, text: 'Could not save.' } });
    await db.store.appendToolCall(CALL, { ...retried, result: { ok: true, text: 'Bye.' } });

    const record = await db.store.get(CALL);
    expect(record?.turns.map((t) => t.seq)).toEqual([1, 2, 10, 11]);
    expect(record?.turns[1]).toEqual({ seq: 2, role: 'agent', text: 'turn 2', at: NOW + 2 });
    expect(record?.toolCalls.map((t) => [t.seq, t.name])).toEqual([
      [3, 'save_lead'],
      [12, 'check_availability'],
    ]);
    expect(record?.toolCalls[1]).toEqual(checked);
    expect((await rawItem('TURN#00000010'))?.expiresAt).toBe(Math.floor(NOW / 1000) + 30 * 24 * 3600);
    expect((await rawItem('TOOL#00000003'))?.expiresAt).toBe(Math.floor(NOW / 1000) + 30 * 24 * 3600);
  });

  test('get pages through a call with more items than one query page holds', async () => {
    await db.store.open(newSession());
    // About 6 KB a turn: well past the 1 MB a single Query page returns.
    const text = 'x'.repeat(6000);
    const seqs = Array.from({ length: 200 }, (_, i) => i + 1);
    for (const seq of seqs) await db.store.appendTurn(CALL, { seq, role: 'caller', text, at: NOW });
    const send = jest.spyOn(db.doc, 'send');
    const record = await db.store.get(CALL);
    expect(record?.turns.map((t) => t.seq)).toEqual(seqs);
    expect(send.mock.calls.length).toBeGreaterThan(1);
    send.mockRestore();
  }, 120_000); // 200 writes of 6 KB: slow on a loaded machine, and its speed is not under test

  test('get reads the engine segments and turn latency the bridge writes (the cost and latency contract)', async () => {
    await db.store.open(newSession());
    const segments = [
      { engine: 'elevenlabs', startedAt: NOW + 1_000, endedAt: NOW + 20_000 },
      {
        engine: 'openai',
        startedAt: NOW + 21_000,
        endedAt: NOW + 60_000,
        usage: {
          inputTextTokens: 1,
          inputAudioTokens: 2,
          cachedInputTokens: 0,
          outputTextTokens: 3,
          outputAudioTokens: 4,
        },
      },
    ];
    const item = await rawItem('SESSION');
    await db.doc.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...item, engineSegments: segments, turnLatency: { turns: 4, p50Ms: 700, p90Ms: 1_100 } },
      }),
    );
    expect((await db.store.get(CALL))?.session).toMatchObject({
      engineSegments: segments,
      turnLatency: { turns: 4, p50Ms: 700, p90Ms: 1_100 },
    });
  });

  test('recordEngine sets the serving engine and the failover reason', async () => {
    await db.store.open(newSession());
    await db.store.recordEngine(CALL, {
      servedBy: 'openai',
      failoverReason: 'elevenlabs did not connect in 3000 ms',
    });
    let session = (await db.store.get(CALL))?.session;
    expect(session?.servedBy).toBe('openai');
    expect(session?.failoverReason).toBe('elevenlabs did not connect in 3000 ms');

    await db.store.recordEngine(CALL, { servedBy: 'elevenlabs' });
    session = (await db.store.get(CALL))?.session;
    expect(session?.servedBy).toBe('elevenlabs');
    expect(session?.failoverReason).toBeUndefined();
  });

  test('recordEngine with the engine use writes both in one update', async () => {
    await db.store.open(newSession());
    const use = { engineSegments: [{ engine: 'elevenlabs' as const, startedAt: NOW, endedAt: NOW + 10 }] };
    await inOneWrite(() =>
      db.store.recordEngine(CALL, { servedBy: 'elevenlabs', conversationId: 'conv_1', use }),
    );
    expect(await storedSession()).toMatchObject({
      servedBy: 'elevenlabs',
      conversationId: 'conv_1',
      engineSegments: use.engineSegments,
    });
  });

  test('recordEngine on an unknown call creates no item', async () => {
    const unknown = 'CAeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    await db.store.recordEngine(unknown, { servedBy: 'openai' });
    expect(await db.store.get(unknown)).toBeUndefined();
  });

  test('markEnded moves created|streaming to ended once; a second call changes nothing', async () => {
    await streamingCall();
    await db.store.markEnded(CALL, 'caller hung up', NOW + 5000);
    await db.store.markEnded(CALL, 'engine closed', NOW + 6000);

    const session = await storedSession();
    expect(session?.status).toBe('ended');
    expect(session?.endedAt).toBe(NOW + 5000);
    expect(session?.endReason).toBe('caller hung up');
  });

  test('markEnded does not touch a finalised session or create an unknown one', async () => {
    await db.doc.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          pk: `CALL#${CALL}`,
          sk: 'SESSION',
          ...newSession(),
          status: 'finalised',
          expiresAt: 1,
        },
      }),
    );
    await db.store.markEnded(CALL, 'late', NOW);
    expect((await db.store.get(CALL))?.session.status).toBe('finalised');

    const unknown = 'CAdddddddddddddddddddddddddddddddd';
    await db.store.markEnded(unknown, 'late', NOW);
    expect(await db.store.get(unknown)).toBeUndefined();
  });

  test('markFinalised moves an ended session to finalised once, keeping how it ended', async () => {
    await streamingCall();
    await db.store.markEnded(CALL, 'caller hung up', NOW + 5000);
    await db.store.markFinalised(CALL, NOW + 9000);
    await db.store.markFinalised(CALL, NOW + 12000);

    await expectFinalisedSession(NOW + 9000, NOW + 5000, 'caller hung up');
  });

  test('markFinalised from streaming (final status before the stream stop) records the end; later steps change nothing', async () => {
    await streamingCall();
    await db.store.markFinalised(CALL, NOW + 7000);
    await db.store.markEnded(CALL, 'caller hung up', NOW + 8000);
    expect(await db.store.claimStream(CALL, 'a'.repeat(64), 'MZ2', NOW + 9000)).toBeUndefined();

    await expectFinalisedSession(NOW + 7000, NOW + 7000, 'call-finished');
  });

  test('markFinalised of an unknown call creates no item', async () => {
    const unknown = 'CAcccccccccccccccccccccccccccccccc';
    await db.store.markFinalised(unknown, NOW);
    expect(await db.store.get(unknown)).toBeUndefined();
  });

  test('recordRecording keeps the recording state on the session (writing → saved) and creates no unknown call', async () => {
    await db.store.open(newSession());
    await db.store.recordRecording(CALL, { status: 'writing', key: `recordings/${CALL}.wav` });
    expect((await db.store.get(CALL))?.session.recording).toEqual({
      status: 'writing',
      key: `recordings/${CALL}.wav`,
    });
    await db.store.recordRecording(CALL, {
      status: 'saved',
      key: `recordings/${CALL}.wav`,
      durationMs: 61_000,
      bytes: 1_952_044,
    });
    expect((await db.store.get(CALL))?.session.recording).toEqual({
      status: 'saved',
      key: `recordings/${CALL}.wav`,
      durationMs: 61_000,
      bytes: 1_952_044,
    });
    await db.store.recordRecording('CA00000000000000000000000000000000', { status: 'failed' });
    expect(await db.store.get('CA00000000000000000000000000000000')).toBeUndefined();
  });

  test('get of an unknown call is undefined', async () => {
    expect(await db.store.get('CA00000000000000000000000000000000')).toBeUndefined();
  });
});

describe('ensureCallTable', () => {
  test('creates pk/sk on demand once and is a no-op the second time', async () => {
    await ensureCallTable(db.client, 'calls-ensure');
    await ensureCallTable(db.client, 'calls-ensure');
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: 'calls-ensure' }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.TableStatus).toBe('ACTIVE');
  });
});
