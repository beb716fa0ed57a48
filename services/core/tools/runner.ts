import type { UsageCounter } from '../ports/call-store.js';
import type { ToolDefinition, ToolInvocation, ToolResult, ToolRunner } from '../ports/tool-calls.js';
import { forCall } from '../shared/logging.js';
import { TimeoutError, withTimeout } from '../shared/timeout.js';
import { bookAppointment } from './book-appointment.js';
import { checkAvailability } from './check-availability.js';
import { endCall } from './end-call.js';
import { saveLead } from './save-lead.js';
import { scheduleCallbackTool } from './schedule-callback.js';
import { sendFollowUpEmail } from './send-follow-up-email.js';
import type { Tool, ToolDeps } from './tool.js';
import { InProcessUsageCounter, TOOL_LIMITS, type ToolLimits } from './tool-usage.js';
import { transferToHuman } from './transfer-to-human.js';

/** The registry: every tool the agent can call, in the order models see them. */
export const TOOLS: readonly Tool[] = [
  checkAvailability,
  bookAppointment,
  saveLead,
  sendFollowUpEmail,
  transferToHuman,
  endCall,
  scheduleCallbackTool,
];

const DEFAULT_BOOKING_HORIZON_DAYS = 60;

export interface ToolRunnerDeps
  extends Omit<ToolDeps, 'now' | 'slotMinutes' | 'usage' | 'limits' | 'bookingHorizonDays'> {
  now?: () => number;
  /** Default: an in-process counter (per-day limits then hold only within this process). */
  usage?: UsageCounter;
  /** Default `TOOL_LIMITS`. */
  limits?: ToolLimits;
  /** Default 60. */
  bookingHorizonDays?: number;
  /** Default 30. */
  slotMinutes?: number;
  /** A tool that takes longer than this answers with its failure text (default 15000). */
  timeoutMs?: number;
  /** Defaults to `TOOLS`. */
  tools?: readonly Tool[];
}

export function createToolRunner(input: ToolRunnerDeps): ToolRunner {
  // Recording each call in the session is the bridge's job (SessionWriter: ordered, retried).
  const { timeoutMs = 15_000, tools = TOOLS, ...rest } = input;
  const now = rest.now ?? Date.now;
  const deps: ToolDeps = {
    ...rest,
    now,
    slotMinutes: rest.slotMinutes ?? 30,
    usage: rest.usage ?? new InProcessUsageCounter(now),
    limits: rest.limits ?? TOOL_LIMITS,
    bookingHorizonDays: rest.bookingHorizonDays ?? DEFAULT_BOOKING_HORIZON_DAYS,
  };
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  // One list shared by every call (each call's engine context holds it for the call's life): read only.
  let definitions: ToolDefinition[] | undefined;
  return {
    definitions: () => (definitions ??= tools.map((tool) => tool.definition())),

    async run(call: ToolInvocation): Promise<ToolResult> {
      const log = forCall(call.callSid);
      const started = performance.now();
      const tool = byName.get(call.name);
      let result: ToolResult;
      if (!tool) {
        log.warn('unknown tool', { tool: call.name });
        result = { ok: false, text: `I do not have a tool called ${call.name}.` };
      } else {
        const giveUp = new AbortController();
        try {
          result = await withTimeout(
            tool.invoke(call.args, {
              callSid: call.callSid,
              remoteNumber: call.remoteNumber,
              deps,
              log,
              signal: giveUp.signal,
            }),
            timeoutMs,
          );
        } catch (error) {
          // The caller hears the failure text now: the tool is told to stop and undo.
          if (error instanceof TimeoutError) giveUp.abort(error);
          log.error('tool failed', { tool: call.name, error });
          result = { ok: false, text: tool.failureText };
        }
      }
      const durationMs = Math.round(performance.now() - started);
      log.info('tool call', { tool: call.name, ok: result.ok, durationMs });
      return result;
    },
  };
}
