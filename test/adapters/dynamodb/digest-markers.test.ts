import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDigestMarkers } from '../../../services/adapters/dynamodb/digest-markers.js';
import { tablePerTest } from '../../support/dynamo.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = '2026-11-24';
const STALE_MS = 15 * 60 * 1000;

const db = tablePerTest((doc, tableName) => new DynamoDigestMarkers(doc, { tableName }));

describe('DynamoDigestMarkers', () => {
  test('a day is claimed once; a sent day is never claimed again', async () => {
    expect((await db.store.claim(DAY, NOW, STALE_MS)).claimed).toBe(true);
    expect((await db.store.claim(DAY, NOW + 1000, STALE_MS)).claimed).toBe(false);
    await db.store.markSent(DAY, NOW + 2000);
    expect((await db.store.claim(DAY, NOW + 24 * 3600 * 1000, STALE_MS)).claimed).toBe(false);
    await db.store.release(DAY); // must not undo a sent digest
    expect((await db.store.claim(DAY, NOW + 24 * 3600 * 1000, STALE_MS)).claimed).toBe(false);

    const item = (
      await db.doc.send(new GetCommand({ TableName: db.table, Key: { pk: `DIGEST#${DAY}`, sk: 'DIGEST' } }))
    ).Item;
    expect(item).toMatchObject({
      status: 'sent',
      sentAt: NOW + 2000,
      expiresAt: Math.floor(NOW / 1000) + 90 * 86400,
    });
  });

  test('a released claim can be taken again; other days are independent', async () => {
    expect((await db.store.claim(DAY, NOW, STALE_MS)).claimed).toBe(true);
    expect((await db.store.claim('2026-11-23', NOW, STALE_MS)).claimed).toBe(true);
    await db.store.release(DAY);
    expect((await db.store.claim(DAY, NOW + 1, STALE_MS)).claimed).toBe(true);
  });

  test('the first frozen message is kept and comes back with the next claim; sentAt is read back', async () => {
    expect(await db.store.sentAt(DAY)).toBeUndefined();
    await db.store.claim(DAY, NOW, STALE_MS);
    const first = {
      to: 'o@example.com',
      subject: 'Digest',
      text: 'one',
      html: '<p>one</p>',
      idempotencyKey: 'digest-k',
    };
    const counts = {
      calls: 1,
      inbound: 1,
      outbound: 0,
      answered: 1,
      missed: 0,
      failedOver: 0,
      leads: 0,
      appointments: 0,
      followUps: 0,
      late: 0,
    };
    expect(await db.store.freeze(DAY, first, counts)).toEqual({ message: first, counts });
    expect(await db.store.freeze(DAY, { ...first, text: 'two' }, { ...counts, calls: 2 })).toEqual({
      message: first,
      counts,
    });
    await db.store.release(DAY);
    expect(await db.store.claim(DAY, NOW + 1, STALE_MS)).toEqual({ claimed: true, message: first, counts });
    await db.store.markSent(DAY, NOW + 5);
    expect(await db.store.sentAt(DAY)).toBe(NOW + 5);
  });

  test('a claim left by a run that died is taken over once it is stale', async () => {
    expect((await db.store.claim(DAY, NOW, STALE_MS)).claimed).toBe(true);
    expect((await db.store.claim(DAY, NOW + STALE_MS - 1, STALE_MS)).claimed).toBe(false);
    expect((await db.store.claim(DAY, NOW + STALE_MS + 1, STALE_MS)).claimed).toBe(true);
  });
});
