import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { MemoryOutboundRequestStore } from '../../services/adapters/memory/outbound-request-store.js';
import { TimerCallbackScheduler } from '../../services/adapters/memory/timer-scheduler.js';
import type { PlaceCallDeps } from '../../services/core/outbound/place-call.js';
import { parseBusinessHours } from '../../services/core/shared/business-hours.js';
import type { EngineName } from '../../services/core/shared/engines.js';
import { RecordingCallControl } from './recording-call-control.js';
import { TestCrm } from './test-crm.js';

export const PUBLIC_URL = 'https://voice.example.com';
export const BUSINESS_NUMBER = '+12125550100';
export const TZ = 'America/New_York';
/** Wed 25 Nov 2026, 10:00 New York: open. */
export const OPEN_NOW = Date.UTC(2026, 10, 25, 15, 0, 0);
/** Wed 25 Nov 2026, 20:00 New York: closed. */
export const CLOSED_NOW = Date.UTC(2026, 10, 26, 1, 0, 0);

export function outboundHarness(options: { now?: number; flag?: EngineName | Error } = {}) {
  const clock = { now: options.now ?? OPEN_NOW };
  const sessions = new MemoryCallSessionStore();
  const requests = new MemoryOutboundRequestStore();
  const callControl = new RecordingCallControl(() => clock.now);
  // The tests place the calls a schedule would: a due schedule runs nothing here (and the ones
  // they make are hours ahead of the clock).
  const scheduler = new TimerCallbackScheduler({ now: () => clock.now, run: async () => {} });
  const crm = new TestCrm({ timezone: TZ });
  const flag = options.flag ?? 'elevenlabs';
  const deps: PlaceCallDeps = {
    settings: {
      publicUrl: PUBLIC_URL,
      businessNumber: BUSINESS_NUMBER,
      allowedCountries: ['US', 'CA'],
      business: {
        name: 'Bolt Dental',
        timezone: TZ,
        hours: parseBusinessHours('mon-fri 09:00-17:00'),
        hoursText: 'mon-fri 09:00-17:00',
      },
      defaultProvider: 'openai',
    },
    sessions,
    requests,
    callControl,
    callLookup: callControl,
    scheduler,
    providerFlag: {
      current: async () => {
        if (flag instanceof Error) throw flag;
        return flag;
      },
    },
    crm,
    now: () => clock.now,
  };
  return { deps, clock, sessions, requests, callControl, scheduler, crm };
}
