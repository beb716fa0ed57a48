import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOutboundRequestStore } from '../../../services/adapters/dynamodb/outbound-request-store.js';
import { tablePerTest } from '../../support/dynamo.js';

const NOW = Date.UTC(2026, 10, 25, 15, 0, 0);
const REQUEST = {
  idempotencyKey: 'req-001',
  to: '+12125550123',
  from: '+12125550100',
  name: 'Ada Lovelace',
  reason: 'Confirm appointment',
  provider: 'elevenlabs' as const,
  customer: { id: 'cust-1', name: 'Ada Lovelace' },
  createdAt: NOW,
};

const db = tablePerTest((doc, tableName) => new DynamoOutboundRequestStore(doc, { tableName }));

describe('DynamoOutboundRequestStore', () => {
  test('create is once per key; the duplicate gets the stored request', async () => {
    expect(await db.store.create(REQUEST)).toEqual({
      created: true,
      request: { ...REQUEST, status: 'placing', leaseUntil: NOW + 60_000 },
    });
    await db.store.markPlaced('req-001', 'CA1');
    const duplicate = await db.store.create({ ...REQUEST, reason: 'other', createdAt: NOW + 5 });
    expect(duplicate).toEqual({ created: false, request: { ...REQUEST, status: 'placed', callSid: 'CA1' } });

    const item = (
      await db.doc.send(
        new GetCommand({ TableName: db.table, Key: { pk: 'OUTBOUND#req-001', sk: 'REQUEST' } }),
      )
    ).Item;
    expect(item?.expiresAt).toBe(Math.floor(NOW / 1000) + 30 * 86400);
  });

  test('a placing request is taken over only once its lease has ended, and only once', async () => {
    await db.store.create(REQUEST);
    expect(await db.store.takeOver('req-001', NOW + 59_999, NOW + 120_000)).toBe(false);
    expect(await db.store.takeOver('req-001', NOW + 60_001, NOW + 120_001)).toBe(true);
    expect(await db.store.takeOver('req-001', NOW + 60_002, NOW + 120_002)).toBe(false);
    expect((await db.store.get('req-001'))?.leaseUntil).toBe(NOW + 120_001);
    await db.store.markPlaced('req-001', 'CA9');
    expect(await db.store.takeOver('req-001', NOW + 999_999, NOW + 1_000_000)).toBe(false);
    expect((await db.store.get('req-001'))?.leaseUntil).toBeUndefined();
  });

  test('a failed request may be created again with the same key', async () => {
    await db.store.create(REQUEST);
    await db.store.markFailed('req-001', 'Twilio 21215');
    expect(await db.store.get('req-001')).toMatchObject({ status: 'failed', error: 'Twilio 21215' });

    const retry = await db.store.create({ ...REQUEST, createdAt: NOW + 60_000 });
    expect(retry.created).toBe(true);
    await db.store.markPlaced('req-001', 'CA2');
    const stored = await db.store.get('req-001');
    expect(stored).toMatchObject({ status: 'placed', callSid: 'CA2', createdAt: NOW + 60_000 });
    expect(stored?.error).toBeUndefined();
  });

  test('concurrent duplicates: exactly one creates', async () => {
    const results = await Promise.all([
      db.store.create(REQUEST),
      db.store.create(REQUEST),
      db.store.create(REQUEST),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  test('an unknown key is undefined', async () => {
    expect(await db.store.get('nope')).toBeUndefined();
  });
});
