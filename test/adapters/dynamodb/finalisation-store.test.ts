import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFinalisationStore } from '../../../services/adapters/dynamodb/finalisation-store.js';
import { finaliseCall, resumeFinalisation } from '../../../services/core/after-call/finalise-call.js';
import type { FinalisationInput } from '../../../services/core/ports/call-store.js';
import { bookedCall, CALL_SID, harness, T0 } from '../../support/after-call-scenario.js';
import { tablePerTest } from '../../support/dynamo.js';

const NOW = Date.UTC(2026, 10, 25, 14, 0, 0);
const SID = 'CA0123456789abcdef0123456789abcdef';
const INPUT: FinalisationInput = {
  callSid: SID,
  status: 'completed',
  durationSeconds: 42,
  at: NOW,
  fallback: { from: '+12125550123', to: '+12125550100', direction: 'inbound' },
};

const clock = { now: NOW };
const db = tablePerTest(
  (doc, tableName) => new DynamoFinalisationStore(doc, { tableName, now: () => clock.now }),
);
beforeEach(() => {
  clock.now = NOW;
});

const raw = async (pk: string, sk: string) =>
  (await db.doc.send(new GetCommand({ TableName: db.table, Key: { pk, sk } }))).Item;

describe('DynamoFinalisationStore', () => {
  test('begin writes a pending state under CALL#<sid>/FINAL, without a TTL, and lists it', async () => {
    const { state, created } = await db.store.begin(INPUT, NOW);

    expect(created).toBe(true);
    expect(state).toEqual({ ...INPUT, step: 'pending', attempts: 0, updatedAt: NOW });
    expect(await db.store.get(SID)).toEqual(state);
    const item = await raw(`CALL#${SID}`, 'FINAL');
    expect(item?.expiresAt).toBeUndefined();
    expect(await raw('FINALISATION#PENDING', SID)).toMatchObject({ callSid: SID, since: NOW });
    expect(await db.store.listPending(10)).toEqual([SID]);
  });

  test('a second begin keeps the first state', async () => {
    await db.store.begin(INPUT, NOW);
    await db.store.advance(SID, 'pending', 'crm-saved', NOW + 1);
    const again = await db.store.begin({ ...INPUT, status: 'failed', at: NOW + 5 }, NOW + 5);
    expect(again.created).toBe(false);
    expect(again.state).toMatchObject({ status: 'completed', step: 'crm-saved' });
  });

  test('advance is conditional on the step, and done leaves the pending list with a TTL in seconds', async () => {
    await db.store.begin(INPUT, NOW);

    expect(await db.store.advance(SID, 'pending', 'crm-saved', NOW + 1, { summarySource: 'turns' })).toBe(
      true,
    );
    expect(await db.store.advance(SID, 'pending', 'crm-saved', NOW + 2)).toBe(false);
    expect(await db.store.advance(SID, 'crm-saved', 'emailed', NOW + 3)).toBe(true);
    expect(await db.store.listPending(10)).toEqual([SID]);
    expect(await db.store.advance(SID, 'emailed', 'done', NOW + 4)).toBe(true);

    expect(await db.store.get(SID)).toMatchObject({
      step: 'done',
      summarySource: 'turns',
      updatedAt: NOW + 4,
    });
    expect((await raw(`CALL#${SID}`, 'FINAL'))?.expiresAt).toBe(Math.floor((NOW + 4) / 1000) + 30 * 86400);
    expect(await raw('FINALISATION#PENDING', SID)).toBeUndefined();
    expect(await db.store.listPending(10)).toEqual([]);
  });

  test('recordAttempt counts runs, keeps the last error and clears it on success', async () => {
    await db.store.begin(INPUT, NOW);
    await db.store.recordAttempt(SID, NOW + 1, 'CRM unavailable');
    expect(await db.store.get(SID)).toMatchObject({ attempts: 1, lastError: 'CRM unavailable' });
    await db.store.recordAttempt(SID, NOW + 2);
    const state = await db.store.get(SID);
    expect(state?.attempts).toBe(2);
    expect(state?.lastError).toBeUndefined();
    await db.store.setSummarySource(SID, 'analysis', NOW + 3);
    expect((await db.store.get(SID))?.summarySource).toBe('analysis');
  });

  test('listPending tidies markers of finished calls and abandoned begins, and respects the limit', async () => {
    await db.store.begin(INPUT, NOW);
    await db.store.begin({ ...INPUT, callSid: 'CA2' }, NOW);
    await db.store.begin({ ...INPUT, callSid: 'CA3' }, NOW);
    // CA2 finished but its marker delete was lost; CA9 has a marker whose state never got written.
    await db.store.advance('CA2', 'pending', 'done', NOW);
    await db.doc.send(
      new PutCommand({
        TableName: db.table,
        Item: { pk: 'FINALISATION#PENDING', sk: 'CA2', callSid: 'CA2', since: NOW },
      }),
    );
    await db.doc.send(
      new PutCommand({
        TableName: db.table,
        Item: { pk: 'FINALISATION#PENDING', sk: 'CA9', callSid: 'CA9', since: NOW },
      }),
    );

    // A fresh orphan may be a begin in flight: kept (not listed) until it is an hour old.
    expect((await db.store.listPending(10)).sort()).toEqual(['CA3', SID].sort());
    expect(await raw('FINALISATION#PENDING', 'CA2')).toBeUndefined();
    expect(await raw('FINALISATION#PENDING', 'CA9')).toBeDefined();
    clock.now = NOW + 61 * 60 * 1000;
    await db.store.listPending(10);
    expect(await raw('FINALISATION#PENDING', 'CA9')).toBeUndefined();

    expect(await db.store.listPending(1)).toHaveLength(1);
  });

  test('analyses: stored once per event, a later event replaces, any JSON in data collection', async () => {
    const analysis = {
      callSid: SID,
      conversationId: 'conv-1',
      summary: 'Booked a cleaning.',
      callSuccessful: 'success',
      dataCollection: {
        service: { value: 'cleaning', rationale: 'said so' },
        nested: { value: { a: [1, null, 'x'] } },
      },
      eventAt: NOW,
      receivedAt: NOW + 10,
    };
    expect(await db.store.saveAnalysis(analysis)).toEqual({ stored: true });
    expect(await db.store.saveAnalysis(analysis)).toEqual({ stored: false });
    expect(await db.store.saveAnalysis({ ...analysis, summary: 'older', eventAt: NOW - 1 })).toEqual({
      stored: false,
    });
    expect(await db.store.getAnalysis(SID)).toEqual(analysis);

    expect(await db.store.saveAnalysis({ ...analysis, summary: 'newer', eventAt: NOW + 1 })).toEqual({
      stored: true,
    });
    expect((await db.store.getAnalysis(SID))?.summary).toBe('newer');
    expect((await raw(`CALL#${SID}`, 'ANALYSIS'))?.expiresAt).toBe(
      Math.floor((NOW + 10) / 1000) + 30 * 86400,
    );
    expect(await db.store.getAnalysis('CA-none')).toBeUndefined();
  });

  test('finalisation through this store: CRM down leaves it pending, the retry finishes it once', async () => {
    const h = harness();
    bookedCall(h);
    const deps = { ...h.deps, finalisations: db.store, analyses: db.store };
    h.crm.down = true;

    expect(
      (await finaliseCall(deps, { callSid: CALL_SID, status: 'completed', at: T0 + 127_000 })).kind,
    ).toBe('pending');
    expect(await db.store.get(CALL_SID)).toMatchObject({
      step: 'pending',
      attempts: 1,
      lastError: 'CRM unavailable (503)',
    });

    h.crm.down = false;
    expect(await resumeFinalisation(deps, CALL_SID)).toEqual({ kind: 'finalised', callSid: CALL_SID });
    expect(await db.store.listPending(10)).toEqual([]);
    expect(await resumeFinalisation(deps, CALL_SID)).toEqual({ kind: 'already-done', callSid: CALL_SID });
    expect(
      (await finaliseCall(deps, { callSid: CALL_SID, status: 'completed', at: T0 + 200_000 })).kind,
    ).toBe('already-done');
    expect(h.crm.saveCallWrites).toBe(1);
    expect(h.mailer.sendCalls).toBe(1);
  });
});
