import { DateTime } from 'luxon';
import { type BusinessHours, openIntervalsOn } from '../core/shared/business-hours.js';
import type { BusinessProfile } from '../core/shared/business-profile.js';
import { DEMO_BUSINESS_PROFILE, priceAnswer } from './demo-business-profile.js';
import type { ConversationScript } from './sim/script.js';

/**
 * The conversation the embedded (simulated) engines play when no engine keys are set: a caller asks
 * what the service costs (answered from the business profile), books a demo for the next open day at 15:00 (or the first opening hour after
 * it), leaves an email, and the agent confirms and hangs up. Tools run for real through the bridge.
 */
export function demoScript(
  now: number,
  timezone: string,
  hours: BusinessHours,
  profile: BusinessProfile = DEMO_BUSINESS_PROFILE,
): ConversationScript {
  const day = nextOpenDay(now, timezone, hours);
  const start = bookableStart(day, timezone, hours);
  return {
    greeting: { text: 'Thanks for calling Bolt. How can I help you today?', audioClip: 'agent-greeting' },
    turns: [
      {
        callerSays: 'Hi, I am calling about your AI receptionist service. What does it cost?',
        tools: [{ name: 'check_availability', params: { date: day } }],
        agentSays: {
          text: priceAnswer(profile),
          audioClip: 'agent-greeting',
        },
      },
      {
        callerSays: 'Could I book a demo for tomorrow at three PM? My email is jane at example dot com.',
        tools: [
          {
            name: 'book_appointment',
            params: { start, name: 'Jane Doe', email: 'jane@example.com', purpose: 'Product demo' },
          },
          {
            name: 'save_lead',
            params: { name: 'Jane Doe', email: 'jane@example.com', interest: 'AI receptionist demo' },
          },
        ],
        agentSays: {
          text: 'You are booked. I have sent a confirmation to your email.',
          audioClip: 'agent-confirm',
        },
      },
    ],
  };
}

function nextOpenDay(now: number, timezone: string, hours: BusinessHours): string {
  let day = DateTime.fromMillis(now, { zone: timezone }).plus({ days: 1 });
  for (let i = 0; i < 14; i++) {
    const date = day.toISODate() ?? '';
    if (openIntervalsOn(hours, timezone, date).length > 0) return date;
    day = day.plus({ days: 1 });
  }
  return DateTime.fromMillis(now, { zone: timezone }).plus({ days: 1 }).toISODate() ?? '';
}

/** 15:00 when the business is open then, else its first opening time that day. */
function bookableStart(date: string, timezone: string, hours: BusinessHours): string {
  const intervals = openIntervalsOn(hours, timezone, date);
  const three = DateTime.fromISO(`${date}T15:00`, { zone: timezone }).toMillis();
  const open = intervals.find((i) => three >= i.start && three + 30 * 60_000 <= i.end);
  const at = open ? three : (intervals[0]?.start ?? three);
  return DateTime.fromMillis(at, { zone: timezone }).toFormat("yyyy-LL-dd'T'HH:mm");
}
