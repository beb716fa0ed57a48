import { forCall } from '../logging.js';
import type { CallControl } from '../ports.js';

/**
 * Hangs up a live call (after `end_call`, once the goodbye has played). A call that already ended
 * is fine (the adapter tolerates it); any other failure is logged and reported, never thrown, so
 * the bridge's cleanup goes on.
 */
export async function hangUpCall(callControl: CallControl, callSid: string): Promise<boolean> {
  try {
    await callControl.hangUp(callSid);
    return true;
  } catch (error) {
    forCall(callSid).error('hang-up failed', { error });
    return false;
  }
}
