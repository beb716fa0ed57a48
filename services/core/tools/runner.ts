import type { ToolCallRecord } from '../call-session.js';
import { forCall } from '../logging.js';
import type { ToolInvocation, ToolResult, ToolRunner } from '../tool-types.js';
import { bookAppointment } from './book-appointment.js';
import { checkAvailability } from './check-availability.js';
import { endCall } from './end-call.js';
import { saveLead } from './save-lead.js';
import { sendFollowUpEmail } from './send-follow-up-email.js';
import type { Tool, ToolDeps } from './tool.js';
import { transferToHuman } from './transfer-to-human.js';

/** The registry: every tool the agent can call, in the order models see them. */
export const TOOLS: readonly Tool[] = [
  checkAvailability,
  bookAppointment,
  saveLead,
  sendFollowUpEmail,
  transferToHuman,
  endCall,
];

export interface ToolRunnerDeps extends Omit<ToolDeps, 'now' | 'slotMinutes'> {
  now?: () => number;
  /** Default 30. */
  slotMinutes?: number;
  /**
   * Told about every tool call and its result (the bridge appends it to the call session). Not
   * awaited by the agent: a slow or failing store never delays or breaks the answer.
   */
  onToolCall?: (callSid: string, record: ToolCallRecord) => Promise<void> | void;
  /** A tool that takes longer than this answers with its failure text (default 15000). */
  timeoutMs?: number;
  /** Defaults to `TOOLS`. */
  tools?: readonly Tool[];
}

/** Calls remembered for their `seq` counter; the oldest are forgotten past this many. */
const MAX_TRACKED_CALLS = 10_000;

export function createToolRunner(input: ToolRunnerDeps): ToolRunner {
  const { onToolCall, timeoutMs = 15_000, tools = TOOLS, ...rest } = input;
  const deps: ToolDeps = { ...rest, now: rest.now ?? Date.now, slotMinutes: rest.slotMinutes ?? 30 };
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const seqByCall = new Map<string, number>();

  function nextSeq(callSid: string): number {
    const seq = (seqByCall.get(callSid) ?? 0) + 1;
    seqByCall.delete(callSid); // re-insert so Map order tracks recent use
    seqByCall.set(callSid, seq);
    if (seqByCall.size > MAX_TRACKED_CALLS) {
      const oldest = seqByCall.keys().next().value;
      if (oldest !== undefined) seqByCall.delete(oldest);
    }
    return seq;
  }

  return {
    definitions: () => tools.map((tool) => tool.definition()),

    async run(call: ToolInvocation): Promise<ToolResult> {
      const log = forCall(call.callSid);
      const seq = nextSeq(call.callSid);
      const at = deps.now();
      const started = performance.now();
      const tool = byName.get(call.name);
      let result: ToolResult;
      if (!tool) {
        log.warn('unknown tool', { tool: call.name });
        result = { ok: false, text: `I do not have a tool called ${call.name}.` };
      } else {
        try {
          result = await withTimeout(
            tool.invoke(call.args, { callSid: call.callSid, remoteNumber: call.remoteNumber, deps, log }),
            timeoutMs,
          );
        } catch (error) {
          log.error('tool failed', { tool: call.name, error });
          result = { ok: false, text: tool.failureText };
        }
      }
      const durationMs = Math.round(performance.now() - started);
      log.info('tool call', { tool: call.name, seq, ok: result.ok, durationMs });
      if (onToolCall) {
        const record: ToolCallRecord = { seq, name: call.name, args: call.args, result, at, durationMs };
        Promise.resolve()
          .then(() => onToolCall(call.callSid, record))
          .catch((error: unknown) => log.error('recording the tool call failed', { tool: call.name, error }));
      }
      return result;
    },
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tool timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
