/**
 * What every CRM promises (the port in services/core/ports/crm.ts): writes are idempotent on their
 * natural keys (a customer's phone, a lead's call, an appointment's calendar event, a call's sid,
 * a turn's seq) and merge, keeping what a later write leaves out; two live appointments never share
 * time; the listings select on the right instant; a known caller is greeted with their next
 * appointment and last call.
 */
import {
  AppointmentConflictError,
  type AppointmentInput,
  type CallRow,
  type Crm,
} from '../../services/core/ports/crm.js';

export const CRM_TIMEZONE = 'America/New_York';
/** Wed 25 Nov 2026, 09:12 New York. */
const T0 = Date.UTC(2026, 10, 25, 14, 12, 0);
const HOUR = 3_600_000;
const PHONE = '+12125550123';
const CALL_SID = `CA${'c'.repeat(32)}`;
const FAR = Date.UTC(2100, 0, 1);

export function describeCrmContract(name: string, makeCrm: () => Promise<Crm>): void {
  describe(`crm contract: ${name}`, () => {
    const appointment = (customerId: string, over: Partial<AppointmentInput> = {}): AppointmentInput => ({
      customerId,
      callSid: CALL_SID,
      start: T0 + 24 * HOUR,
      end: T0 + 24 * HOUR + HOUR / 2,
      calendarEventId: 'ev-1',
      name: 'Ada Lovelace',
      phone: PHONE,
      purpose: 'Cleaning',
      ...over,
    });
    const call = (over: Partial<CallRow> = {}): CallRow => ({
      callSid: CALL_SID,
      direction: 'inbound',
      from: PHONE,
      to: '+12125550100',
      failedOver: false,
      startedAt: T0,
      outcome: 'completed',
      turns: [],
      ...over,
    });

    test('a customer is one row per phone; a later write keeps what it leaves out', async () => {
      const crm = await makeCrm();
      const first = await crm.upsertCustomer({
        phone: PHONE,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
      });
      const again = await crm.upsertCustomer({ phone: PHONE, business: 'Analytical Engines' });
      expect(again).toEqual({
        id: first.id,
        phone: PHONE,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        business: 'Analytical Engines',
      });
    });

    test('one lead per call: a second save updates it; leads are listed by when they were made', async () => {
      const crm = await makeCrm();
      const { id: customerId } = await crm.upsertCustomer({ phone: PHONE });
      const lead = await crm.saveLead({
        customerId,
        callSid: CALL_SID,
        name: 'Ada',
        phone: PHONE,
        interest: 'Whitening',
      });
      const again = await crm.saveLead({
        customerId,
        callSid: CALL_SID,
        name: 'Ada',
        phone: PHONE,
        email: 'ada@example.com',
      });
      expect(again).toEqual({ ...lead, email: 'ada@example.com' });
      expect(await crm.leadsBetween(0, FAR)).toEqual([again]);
      expect(await crm.leadsBetween(lead.createdAt + 1, FAR)).toEqual([]);
    });

    test('an appointment is one row per calendar event; another in its time is refused', async () => {
      const crm = await makeCrm();
      const { id: customerId } = await crm.upsertCustomer({ phone: PHONE });
      const first = await crm.recordAppointment(appointment(customerId));
      expect(await crm.recordAppointment(appointment(customerId, { purpose: 'Check-up' }))).toEqual({
        ...first,
        purpose: 'Check-up',
      });
      await expect(
        crm.recordAppointment(
          appointment(customerId, { calendarEventId: 'ev-2', start: first.start + HOUR / 4 }),
        ),
      ).rejects.toBeInstanceOf(AppointmentConflictError);
      expect(await crm.appointmentsBetween(0, FAR)).toHaveLength(1);
      expect(await crm.appointmentsOverlapping(first.start, first.end)).toEqual([
        expect.objectContaining({ calendarEventId: 'ev-1', purpose: 'Check-up' }),
      ]);
    });

    test('a cancelled appointment frees its time; recorded again, it holds it again', async () => {
      const crm = await makeCrm();
      const { id: customerId } = await crm.upsertCustomer({ phone: PHONE });
      const first = await crm.recordAppointment(appointment(customerId));
      await crm.cancelAppointment('ev-1', T0 + HOUR);
      expect(await crm.appointmentsOverlapping(first.start, first.end)).toEqual([]);
      const other = await crm.recordAppointment(
        appointment(customerId, { calendarEventId: 'ev-2', start: first.start + HOUR / 4 }),
      );
      expect(await crm.appointmentsOverlapping(first.start, first.end)).toEqual([
        expect.objectContaining({ calendarEventId: other.calendarEventId }),
      ]);
      await expect(crm.recordAppointment(appointment(customerId))).rejects.toBeInstanceOf(
        AppointmentConflictError,
      );
    });

    test('a call is one row per sid: a later save merges its turns by seq and keeps what it leaves out', async () => {
      const crm = await makeCrm();
      const turn1 = { seq: 1, role: 'agent' as const, text: 'Bolt Dental, how can I help?', at: T0 + 1_000 };
      const turn2 = { seq: 2, role: 'caller' as const, text: 'A cleaning, please.', at: T0 + 5_000 };
      await crm.saveCall(call({ turns: [turn1], summary: 'Asked for a cleaning.', durationSeconds: 60 }));
      await crm.saveCall(call({ turns: [{ ...turn1, text: 'Bolt Dental, hello!' }, turn2] }));
      expect(await crm.callsBetween(T0, T0 + 1)).toEqual([
        expect.objectContaining({
          callSid: CALL_SID,
          summary: 'Asked for a cleaning.',
          durationSeconds: 60,
          turns: [{ ...turn1, text: 'Bolt Dental, hello!' }, turn2],
        }),
      ]);
      expect(await crm.callsBetween(T0 + 1, FAR)).toEqual([]);
      expect(await crm.callsFinalisedBetween(0, FAR)).toHaveLength(1);
    });

    test('a known caller: their next appointment in the business time zone and their last call', async () => {
      const crm = await makeCrm();
      expect(await crm.findCustomerByPhone(PHONE, T0)).toBeUndefined();
      const customer = await crm.upsertCustomer({ phone: PHONE, name: 'Ada Lovelace' });
      await crm.recordAppointment(appointment(customer.id));
      await crm.saveCall(call({ customerId: customer.id, summary: 'Asked for a cleaning.' }));
      expect(await crm.findCustomerByPhone(PHONE, T0)).toEqual({
        id: customer.id,
        name: 'Ada Lovelace',
        openAppointment: expect.stringMatching(/^2026-11-26T09:12/),
        lastCallSummary: 'Asked for a cleaning.',
      });
      expect((await crm.findCustomerByPhone(PHONE, T0 + 48 * HOUR))?.openAppointment).toBeUndefined();
    });
  });
}
