import {
  SCHEDULE_CALLBACK_DESCRIPTION,
  SCHEDULE_CALLBACK_TOOL,
  scheduleCallback,
  scheduleCallbackArgsSchema,
} from '../outbound/schedule-callback.js';
import { limitRefusal } from './limits.js';
import { defineTool } from './tool.js';

/**
 * `schedule_callback`: the registry's face of the core use case (`outbound/schedule-callback.ts`), which
 * goes through `placeCall` like `POST /calls`. Without the outbound deps (`ToolDeps.callbacks`) the
 * tool still exists, so the agent's tool list is the same everywhere, and says it cannot do it.
 */
export const scheduleCallbackTool = defineTool({
  name: SCHEDULE_CALLBACK_TOOL,
  description: SCHEDULE_CALLBACK_DESCRIPTION,
  schema: scheduleCallbackArgsSchema,
  failureText: 'I could not schedule the call back just now. I can take a message for the team instead.',
  handler: async ({ at, reason }, context) => {
    const { callSid, remoteNumber, deps, log } = context;
    if (!deps.callbacks) {
      log.warn('schedule_callback called, but call backs are not configured here');
      return {
        ok: false,
        text: 'I cannot schedule a call back from here. I can take a message for the team instead.',
      };
    }
    return scheduleCallback(
      deps.callbacks,
      { callSid, remoteNumber, name: SCHEDULE_CALLBACK_TOOL, args: { at, ...(reason ? { reason } : {}) } },
      // Counted on the day it rings: asking two a day for a month must not land them all on one day.
      (operation, ringsAt) => limitRefusal(context, 'callback', operation, { at: ringsAt }),
    );
  },
});
