import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCalendar } from '../../../services/adapters/memory/calendar.js';
import { MemoryCrm } from '../../../services/adapters/memory/crm.js';
import { OutboxMailer } from '../../../services/adapters/memory/outbox-mailer.js';

const T0 = Date.parse('2026-11-25T15:00:00Z');
const HOUR = 3_600_000;

describe('MemoryCrm', () => {
  let clock = T0;
  const crm = () => new MemoryCrm({ timezone: 'America/New_York', now: () => clock });

  it('upserts customers by phone, keeping fields a later write leaves out', async () => {
    const store = crm();
    const first = await store.upsertCustomer({ phone: '+12025550143', name: 'Jane', business: 'Doe Bakery' });
    const second = await store.upsertCustomer({ phone: '+12025550143', email: 'jane@example.com' });
    expect(second).toEqual({ ...first, email: 'jane@example.com' });
    const other = await store.upsertCustomer({ phone: '+12125550100' });
    expect(other.id).not.toBe(first.id);
  });

  it('keeps one lead per call, and separate leads without a call', async () => {
    const store = crm();
    const base = { customerId: 'c1', name: 'Jane', phone: '+12025550143' };
    const a = await store.saveLead({ ...base, callSid: 'CA1', interest: 'boiler' });
    const b = await store.saveLead({ ...base, callSid: 'CA1', notes: 'afternoons' });
    expect(b).toEqual({ ...a, notes: 'afternoons' });
    await store.saveLead(base);
    await store.saveLead(base);
    expect(await store.leadsBetween(0, T0 + 1)).toHaveLength(3);
  });

  it('records an appointment once per calendar event, and finds the next one for a returning caller', async () => {
    const store = crm();
    const customer = await store.upsertCustomer({ phone: '+12025550143', name: 'Jane' });
    const appointment = {
      customerId: customer.id,
      start: T0 + 24 * HOUR,
      end: T0 + 24 * HOUR + HOUR / 2,
      calendarEventId: 'ev1',
      name: 'Jane',
      phone: '+12025550143',
    };
    const one = await store.recordAppointment(appointment);
    const again = await store.recordAppointment(appointment);
    expect(again.id).toBe(one.id);
    await store.recordAppointment({ ...appointment, calendarEventId: 'ev0', start: T0 - HOUR, end: T0 });
    expect(await store.appointmentsBetween(0, T0 + 1)).toHaveLength(2);
    await store.saveCall({
      callSid: 'CA1',
      customerId: customer.id,
      direction: 'inbound',
      from: '+12025550143',
      to: '+12125550100',
      failedOver: false,
      startedAt: T0 - HOUR,
      outcome: 'completed',
      summary: 'Asked about a boiler service',
      turns: [],
    });
    expect(await store.findCustomerByPhone('+12025550143', T0)).toEqual({
      id: customer.id,
      name: 'Jane',
      openAppointment: '2026-11-26T10:00', // the future one, in the business's time zone
      lastCallSummary: 'Asked about a boiler service',
    });
    expect(await store.findCustomerByPhone('+19999999999', T0)).toBeUndefined();
  });

  it('saves a call idempotently, merging turns by seq, and lists calls by start time', async () => {
    const store = crm();
    const call = {
      callSid: 'CA1',
      direction: 'inbound' as const,
      from: '+12025550143',
      to: '+12125550100',
      failedOver: false,
      startedAt: T0,
      outcome: 'completed',
      turns: [{ seq: 1, role: 'agent' as const, text: 'Hello', at: T0 }],
    };
    await store.saveCall(call);
    await store.saveCall({
      ...call,
      turns: [...call.turns, { seq: 2, role: 'caller', text: 'Hi', at: T0 + 1 }],
    });
    await store.saveCall({ ...call, callSid: 'CA2', startedAt: T0 + 2 * HOUR, turns: [] });
    const calls = await store.callsBetween(T0, T0 + HOUR);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.turns.map((t) => t.seq)).toEqual([1, 2]);
  });

  it('lists leads in [from, to)', async () => {
    const store = crm();
    clock = T0;
    await store.saveLead({ customerId: 'c', name: 'A', phone: '+12025550143', callSid: 'CA1' });
    clock = T0 + HOUR;
    await store.saveLead({ customerId: 'c', name: 'B', phone: '+12025550143', callSid: 'CA2' });
    expect((await store.leadsBetween(T0, T0 + HOUR)).map((l) => l.name)).toEqual(['A']);
    clock = T0;
  });
});

describe('MemoryCalendar', () => {
  it('reports its events and fixed busy time overlapping a range', async () => {
    const calendar = new MemoryCalendar([{ start: T0, end: T0 + HOUR }]);
    await calendar.createEvent({
      idempotencyKey: 'k1',
      start: T0 + 2 * HOUR,
      end: T0 + 3 * HOUR,
      summary: 'x',
    });
    expect(await calendar.busy(T0 + HOUR, T0 + 2 * HOUR)).toEqual([]); // touching ends do not overlap
    expect(await calendar.busy(T0 + HOUR / 2, T0 + 2 * HOUR + 1)).toEqual([
      { start: T0, end: T0 + HOUR },
      { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR },
    ]);
  });

  it('creates one event per idempotency key and finds it by that key', async () => {
    const calendar = new MemoryCalendar();
    const event = { idempotencyKey: 'k1', start: T0, end: T0 + HOUR, summary: 'x' };
    const first = await calendar.createEvent(event);
    const second = await calendar.createEvent(event);
    expect(first.created).toBe(true);
    expect(second).toEqual({ eventId: first.eventId, created: false });
    expect(await calendar.findEvent('k1')).toEqual({ eventId: first.eventId });
    expect(await calendar.findEvent('k2')).toBeUndefined();
    expect(calendar.events()).toHaveLength(1);
  });
});

describe('OutboxMailer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'bolt-outbox-')), 'nested', 'outbox');
  });
  afterEach(async () => {
    await rm(join(dir, '..', '..'), { recursive: true, force: true });
  });

  it('writes each message as one JSON file {to, from, subject, text, html?, sentAt}', async () => {
    const mailer = new OutboxMailer({ dir, from: 'Bolt <desk@example.com>', now: () => T0 });
    await mailer.send({ to: 'a@example.com', subject: 'Hi', text: 'Hello' });
    await mailer.send({ to: 'b@example.com', subject: 'Hi', text: 'Hello', html: '<p>Hello</p>' });
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    const bodies = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))),
    );
    expect(bodies).toEqual(
      expect.arrayContaining([
        {
          to: 'a@example.com',
          from: 'Bolt <desk@example.com>',
          subject: 'Hi',
          text: 'Hello',
          sentAt: '2026-11-25T15:00:00.000Z',
        },
        {
          to: 'b@example.com',
          from: 'Bolt <desk@example.com>',
          subject: 'Hi',
          text: 'Hello',
          html: '<p>Hello</p>',
          sentAt: '2026-11-25T15:00:00.000Z',
        },
      ]),
    );
  });

  it('sends a message with the same idempotency key once, with the same id', async () => {
    const mailer = new OutboxMailer({ dir, from: 'desk@example.com' });
    const message = { to: 'a@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: 'k1' };
    const [a, b] = await Promise.all([mailer.send(message), mailer.send(message)]);
    expect(a).toEqual(b);
    expect(await OutboxMailer.read(dir)).toHaveLength(1);
  });

  it('reads an outbox that does not exist yet as empty', async () => {
    expect(await OutboxMailer.read(join(dir, 'missing'))).toEqual([]);
  });
});
