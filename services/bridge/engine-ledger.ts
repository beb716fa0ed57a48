import type { EngineUse } from '../core/call/call-session.js';
import type { EngineChange, EngineSwitch } from '../core/ports/engine.js';
import type { EngineName, EngineUsage } from '../core/shared/engines.js';
import type { Log } from '../core/shared/logging.js';
import { CallMeter, describeEngineChange } from './call-meter.js';
import type { LiveCallDeps, TurnCount } from './live-call-deps.js';
import type { SessionWriter } from './session-writer.js';
import type { TurnObserver } from './turn-taking/turn-taking.js';

export interface EngineLedgerContext {
  callSid: string;
  /** The engine the call was placed for (the session's provider). */
  chosen: EngineName;
  writer: SessionWriter;
  log: Log;
  deps: Pick<LiveCallDeps, 'now' | 'onEngineChosen' | 'onEngineStall' | 'onTurnLatency' | 'onTurnCount'>;
}

/**
 * What a call records and reports about its engines: which one serves and why (the call session's
 * engine fields, the `onEngineChosen` metric), each segment's use and cost (the meter), failover
 * time, stalls, and the turn outcomes counted per engine.
 */
export class EngineLedger {
  private readonly meter: CallMeter;
  private connectStartedAt = 0;

  constructor(private readonly call: EngineLedgerContext) {
    this.meter = new CallMeter(call.deps.now);
  }

  /** The call's first engine start begins (a start failover is timed from here). */
  connecting(): void {
    this.connectStartedAt = this.call.deps.now();
  }

  /** A (new) engine serves the call. */
  changed(change: EngineChange): void {
    this.meter.engineChanged(change, this.connectStartedAt);
    const { callSid, chosen, writer, log } = this.call;
    const failoverReason = describeEngineChange(change, chosen, this.meter.failover, log);
    writer.engine({
      servedBy: change.engine,
      failoverReason,
      conversationId: change.conversationId,
      use: this.meter.use(),
    });
    this.call.deps.onEngineChosen?.({
      callSid,
      chosen,
      servedBy: change.engine,
      failoverReason,
      failoverMs: this.meter.failover,
      midCall: change.previous !== undefined,
    });
  }

  /** No engine could take the call at its start. */
  noEngine(reason: string): void {
    this.call.deps.onEngineChosen?.({
      callSid: this.call.callSid,
      chosen: this.call.chosen,
      failoverReason: reason,
    });
  }

  /** Mid-call the serving engine dropped; the next one connects. */
  switching(event: EngineSwitch): void {
    if (event.stall) this.call.deps.onEngineStall?.(event.from, event.stall);
    this.call.log.warn('The serving engine dropped; the caller hears the hold prompt', {
      from: event.from,
      reason: event.reason,
      stall: event.stall,
    });
  }

  /** Agent audio reached the caller: the first after a mid-call switch ends the failover time. */
  agentAudio(): void {
    const failoverMs = this.meter.agentAudio();
    if (failoverMs === undefined) return;
    this.call.log.info('The new engine speaks after a mid-call failover', { failoverMs });
    this.recordUse();
  }

  usage(usage: EngineUsage): void {
    this.meter.usage(usage);
  }

  /** The segments so far (written with the call's end). */
  use(): EngineUse | undefined {
    return this.meter.use();
  }

  /** The segments so far, written to the call session. */
  recordUse(): void {
    const use = this.meter.use();
    if (use) this.call.writer.engineUse(use);
  }

  /** Turn-taking outcomes of `engine`, to the meter, the metrics and the log. */
  turnObserver(engine: EngineName): TurnObserver {
    const { deps, log } = this.call;
    const count = (what: TurnCount) => deps.onTurnCount?.(what, engine);
    return {
      turnLatency: (ms) => {
        this.meter.turnLatency(ms);
        deps.onTurnLatency?.(ms, engine);
      },
      bargeIn: () => count('bargeIn'),
      falseInterruption: () => count('falseInterruption'),
      turnSwallowed: () => count('turnSwallowed'),
      event: (name, fields) => log.info(`Turn-taking: ${name}`, { ...fields, engine }),
    };
  }
}
