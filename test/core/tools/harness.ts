import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCalendar } from '../../../services/adapters/memory/calendar.js';
import { MemoryCrm } from '../../../services/adapters/memory/crm.js';
import { OutboxMailer } from '../../../services/adapters/memory/outbox-mailer.js';
import { dialTwiml } from '../../../services/adapters/twilio/dial-twiml.js';
import type { Interval } from '../../../services/core/ports/calendar.js';
import { parseBusinessHours } from '../../../services/core/shared/business-hours.js';
import { createToolRunner, type ToolRunnerDeps } from '../../../services/core/tools/index.js';
import { RecordingCallControl } from '../../support/recording-call-control.js';

export const TZ = 'America/New_York';
/** Wednesday 2026-11-25 10:10 in New York (UTC-5). */
export const NOW = Date.parse('2026-11-25T15:10:00Z');
export const CALLER = '+12025550143';
export const OWNER = '+12125550100';
export const CALL_SID = 'CA00000000000000000000000000000001';

/**
 * `verified` (default true): whether the call's number is vouched for (STIR/SHAKEN "A"), as the
 * session store would answer for every call of this harness.
 */
export async function makeHarness(
  options: { busy?: Interval[]; verified?: boolean; overrides?: Partial<ToolRunnerDeps> } = {},
) {
  const verified = options.verified ?? true;
  const outboxDir = await mkdtemp(join(tmpdir(), 'bolt-outbox-'));
  const crm = new MemoryCrm({ timezone: TZ, now: () => NOW });
  const calendar = new MemoryCalendar(options.busy ?? []);
  const mailer = new OutboxMailer({ dir: outboxDir, from: 'Bolt <desk@example.com>', now: () => NOW });
  const callControl = new RecordingCallControl();
  const runner = createToolRunner({
    crm,
    calendar,
    mailer,
    callControl,
    business: {
      name: 'Bolt Plumbing',
      timezone: TZ,
      hours: parseBusinessHours('mon-fri 09:00-17:00'),
      hoursText: 'mon-fri 09:00-17:00',
    },
    ownerPhone: OWNER,
    ownerEmail: 'owner@example.com',
    now: () => NOW,
    transferTwiml: dialTwiml,
    callers: { callerVerified: async () => verified },
    ...options.overrides,
  });
  const run = (name: string, args: unknown, callSid = CALL_SID, remoteNumber = CALLER) =>
    runner.run({ callSid, remoteNumber, name, args });
  return {
    crm,
    calendar,
    mailer,
    callControl,
    runner,
    run,
    outboxDir,
    outbox: () => OutboxMailer.read(outboxDir),
    cleanup: () => rm(outboxDir, { recursive: true, force: true }),
  };
}

/** Epoch ms of a New York wall-clock time in late November 2026 (UTC-5). */
export function ny(localDateTime: string): number {
  return Date.parse(`${localDateTime}:00-05:00`);
}
