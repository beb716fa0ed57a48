import type { EngineSession } from '../core/ports/engine.js';
import type { ToolResult, ToolRunner } from '../core/ports/tool-calls.js';
import type { SessionWriter } from './session-writer.js';

export interface CallToolsContext {
  callSid: string;
  /** The other party's number (the default `phone` of bookings and leads). */
  remoteNumber: string;
  now(): number;
  writer(): SessionWriter | undefined;
  /** The engine to answer, while the call is live; undefined once it has ended. */
  liveSession(): EngineSession | undefined;
}

/**
 * The tools the agent runs during one call. Each outcome is recorded on the call session even when
 * the caller hung up meanwhile (what a tool did stands: a calendar event, the CRM row still owed for
 * it, and finalisation works from this record); the engine hears it only while the call is live.
 */
export class CallTools {
  private readonly runs = new Set<Promise<ToolResult>>();

  constructor(
    private readonly tools: ToolRunner,
    private readonly context: CallToolsContext,
  ) {}

  /** A tool is running: the agent is busy, its silence expected. */
  get running(): boolean {
    return this.runs.size > 0;
  }

  /** Runs one tool call; resolves with how it ends the call, if it does. */
  async run(call: { callId: string; name: string; args: unknown }): Promise<ToolResult['endsCall']> {
    const started = this.context.now();
    const run = this.tools.run({
      callSid: this.context.callSid,
      remoteNumber: this.context.remoteNumber,
      name: call.name,
      args: call.args,
    });
    this.runs.add(run);
    const result = await run.finally(() => this.runs.delete(run));
    this.context.writer()?.toolCall({
      name: call.name,
      args: call.args,
      result,
      at: started,
      durationMs: this.context.now() - started,
    });
    const session = this.context.liveSession();
    if (!session) return undefined;
    session.sendToolResult(call.callId, result);
    return result.endsCall;
  }

  /** Resolves once every tool started has finished (the call's end waits, so their records are written). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.runs]);
  }
}
