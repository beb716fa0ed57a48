import { DateTime } from 'luxon';
import type { MemoryCalendar } from '../../services/adapters/memory/calendar';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { parseBusinessHours } from '../../services/core/shared/business-hours';
import type { EngineName } from '../../services/core/shared/engines';
import { demoScript } from '../../services/local/demo-script';
import { loadClip, silence } from '../../services/local/sim/audio';
import type { ConversationScript } from '../../services/local/sim/script';
import { eventually } from '../support/wait-until';
import { readyCall } from './engine-driver';
import { type Harness, harnessForSuite, startHarness } from './harness';

const TZ = 'America/New_York';
const HOURS = 'mon-fri 09:00-17:00';

/** The demo booking, plus a retried booking and an unreadable time, which the agent must survive. */
function bookingScript(): { script: ConversationScript; start: string } {
  const demo = demoScript(Date.now(), TZ, parseBusinessHours(HOURS));
  const booking = demo.turns[1]!;
  const book = booking.tools![0]!;
  return {
    start: book.params.start as string,
    script: {
      ...demo,
      turns: [
        demo.turns[0]!,
        {
          ...booking,
          tools: [
            book,
            book,
            { name: 'book_appointment', params: { start: 'tomorrow at three', name: 'Jane Doe' } },
            booking.tools![1]!,
          ],
        },
      ],
    },
  };
}

/** What each engine's simulator received as tool results, in order, as `{ text, isError }`. */
function toolResults(harness: Harness, engine: EngineName): Array<{ text: string; isError: boolean }> {
  if (engine === 'elevenlabs') {
    return (harness.elevenlabs.conversations[0]?.toolResults ?? []).map((r) => ({
      text: r.result,
      isError: r.is_error,
    }));
  }
  const events = harness.openai.sessions[0]?.events ?? [];
  return events
    .filter((e) => e.type === 'conversation.item.create')
    .map((e) => (e.item as { output: string }).output)
    .map((text) => ({ text, isError: text.startsWith('Error:') }));
}

describe.each<EngineName>(['elevenlabs', 'openai'])('the agent books a caller on %s', (engine) => {
  const { script, start } = bookingScript();
  const harness = harnessForSuite({
    provider: engine,
    tools: 'real',
    script,
    env: { BUSINESS_HOURS: HOURS, BUSINESS_TIMEZONE: TZ },
  });

  it('checks availability, books once despite a retry, records the lead and mails a confirmation', async () => {
    const { callSid, stream } = await harness.call({ from: '+15551239876' });
    await stream.sendAudio(Buffer.concat([loadClip('caller-hello'), silence(2000)]), { paced: false });
    // The caller answers once the agent has greeted and answered the first turn (two clips).
    await stream.waitForAudio(2 * loadClip('agent-greeting').length, 8000);
    await stream.sendAudio(Buffer.concat([loadClip('caller-booking'), silence(2000)]), { paced: false });

    const results = await eventually(
      () => toolResults(harness, engine),
      (r) => r.length === 5,
    );
    expect(results.map((r) => r.isError)).toEqual([false, false, false, true, false]);
    expect(results[0]?.text).toMatch(/free/i);
    expect(results[1]?.text).toBe(results[2]?.text);
    expect(results[3]?.text).toMatch(/time/i);

    const calendar = harness.app.adapters.calendar as MemoryCalendar;
    expect(calendar.events()).toHaveLength(1);
    const startMs = DateTime.fromISO(start, { zone: TZ }).toMillis();
    expect(calendar.events()[0]?.start).toBe(startMs);
    const day = { from: startMs - 86_400_000 * 30, to: Date.now() + 86_400_000 };
    const appointments = await harness.app.adapters.crm.appointmentsBetween(day.from, day.to);
    expect(appointments).toEqual([
      expect.objectContaining({ callSid, phone: '+15551239876', email: 'jane@example.com' }),
    ]);
    const leads = await harness.app.adapters.crm.leadsBetween(day.from, day.to);
    expect(leads).toEqual([
      expect.objectContaining({ callSid, name: 'Jane Doe', email: 'jane@example.com' }),
    ]);

    const mail = await eventually(
      () => OutboxMailer.read(harness.app.stack.config.localOutboxDir),
      (messages) => messages.some((m) => m.to === 'jane@example.com'),
    );
    expect(mail.filter((m) => m.to === 'jane@example.com')).toHaveLength(1);

    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => (r?.toolCalls.length ?? 0) === 5,
    );
    expect(record?.toolCalls.map((t) => t.name)).toEqual([
      'check_availability',
      'book_appointment',
      'book_appointment',
      'book_appointment',
      'save_lead',
    ]);
    expect(harness.elevenlabs.violations).toEqual([]);
    expect(harness.openai.violations).toEqual([]);
    await stream.hangUp();
  });
});

describe.each<EngineName>(['elevenlabs', 'openai'])('handing over and hanging up on %s', (engine) => {
  const harness = harnessForSuite({ provider: engine, tools: 'real' });

  it('transfers to the owner through the Twilio REST API and ends the stream', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine);
    const result = await driver.toolCall('transfer_to_human', { reason: 'wants the owner' });
    expect(result.isError).toBe(false);
    await stream.closed;
    const redirect = harness.twilioRest.requests.find((r) => r.callSid === callSid);
    expect(redirect?.form.Twiml).toContain('>+15550009999</Number></Dial>');
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
    );
    expect(record?.session.endReason).toBe('transferred');
  });

  it('hangs up through the REST API once the goodbye has played', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine);
    await driver.speak(Buffer.alloc(2400, 0x55), 'Goodbye!');
    await stream.waitForAudio(2400, 5000);
    const result = await driver.toolCall('end_call', { reason: 'done' });
    expect(result.isError).toBe(false);
    await stream.closed;
    // Hung up only after Twilio had played everything queued (the 300 ms goodbye included).
    expect(stream.playedBytes()).toBeGreaterThanOrEqual(2400);
    expect(
      harness.twilioRest.requests.filter((r) => r.callSid === callSid).map((r) => r.form.Status),
    ).toEqual(['completed']);
  });

  it('answers an invalid argument with an error result the agent can speak', async () => {
    const { stream, driver } = await readyCall(harness, engine);
    const result = await driver.toolCall('check_availability', { date: 'next Tuesday' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/date/i);
    await stream.hangUp();
  });
});

describe('a returning caller', () => {
  it.each<EngineName>(['elevenlabs', 'openai'])('is greeted with what the CRM knows (%s)', async (engine) => {
    const harness = await startHarness({ provider: engine, tools: 'real' });
    try {
      await harness.app.adapters.crm.upsertCustomer({ phone: '+15551230555', name: 'Maria Lopez' });
      const { stream } = await harness.call({ from: '+15551230555' });
      if (engine === 'elevenlabs') {
        const conversation = await harness.elevenlabs.nextConversation(5000);
        expect(conversation.dynamicVariables).toMatchObject({ customer_name: '"Maria Lopez"' });
      } else {
        const session = await harness.openai.nextSession(5000);
        await session.waitForEvent('response.create', 1, 5000);
        expect((session.sessionConfig as { instructions: string }).instructions).toContain('Maria Lopez');
      }
      await stream.hangUp();
    } finally {
      await harness.close();
    }
  });
});
