import { shortText, toolArgs } from './fields.js';
import { defineTool } from './tool.js';

/**
 * Ends the conversation. The tool itself hangs nothing up: it returns `endsCall: 'hangup'` and the
 * bridge hangs up through the REST API once the agent's last words have played, so the goodbye is heard.
 */
export const endCall = defineTool({
  name: 'end_call',
  description: 'End the call after you have said goodbye and the caller has nothing more.',
  schema: toolArgs({
    reason: shortText('reason').optional().describe('Why the call ends, in a few words.'),
  }),
  failureText: 'Goodbye.',
  handler: async ({ reason }, { log }) => {
    // The reason is the model's words about the caller: whether there was one, not what it said.
    log.info('agent ends the call', { hasReason: Boolean(reason) });
    return { ok: true, text: 'Goodbye, and thank you for calling.', endsCall: 'hangup' };
  },
});
