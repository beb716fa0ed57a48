/**
 * A tool still running when the caller hangs up (a booking whose calendar call is slow): what it did
 * stands, so its record, with the CRM row still owed for it, is written, and the call's end waits
 * for it.
 */
import type { ToolResult } from '../../services/core/ports/tool-calls';
import { startTestBridge, type TestBridge } from '../support/bridge-harness';
import { fakeEngine } from '../support/fake-engine';
import { eventually } from '../support/wait-until';

const REPAIR: ToolResult['crmRepair'] = {
  kind: 'appointment',
  customer: { phone: '+15551230001', name: 'Sam Rivera' },
  appointment: {
    start: Date.UTC(2026, 11, 10, 15),
    end: Date.UTC(2026, 11, 10, 15, 30),
    calendarEventId: 'evt-1',
    name: 'Sam Rivera',
    phone: '+15551230001',
  },
};

const recording = fakeEngine();
let finishTool: (result: ToolResult) => void = () => {};
let t: TestBridge;
beforeAll(async () => {
  t = await startTestBridge(recording.engine, {
    tools: {
      definitions: () => [],
      run: () =>
        new Promise<ToolResult>((resolve) => {
          finishTool = resolve;
        }),
    },
  });
});
afterAll(async () => {
  // A test that failed midway leaves the tool running, and the bridge waits for it before it closes.
  finishTool({ ok: false, text: 'The test ended.' });
  await t.close();
});

test('a booking that finishes after the hang-up is recorded with its CRM repair, before the call is done', async () => {
  const { callSid, token } = await t.newSession();
  const stream = await t.openCall(callSid, token);
  const listener = await eventually(
    async () => recording.sessionOf(callSid)?.listener,
    (l) => l !== undefined,
    5000,
  );
  listener?.toolCall({ callId: 'c1', name: 'book_appointment', args: { name: 'Sam Rivera' } });
  await stream.hangUp();
  await eventually(
    () => t.sessions.get(callSid),
    (r) => r?.session.status === 'ended',
    20_000, // generous: a loaded machine delays the write, and its timing is not under test
  );
  // The tool is still running: the call is not let go yet.
  expect(t.bridge.activeCalls()).toBe(1);
  finishTool({ ok: true, text: 'Booked for Thursday at 10:00.', crmRepair: REPAIR });
  await eventually(
    async () => t.bridge.activeCalls(),
    (n) => n === 0,
    20_000,
  );
  const record = await t.sessions.get(callSid);
  expect(record?.toolCalls).toEqual([
    expect.objectContaining({
      name: 'book_appointment',
      result: { ok: true, text: 'Booked for Thursday at 10:00.', crmRepair: REPAIR },
    }),
  ]);
}, 60_000);
