import type { EngineSegment, EngineUse } from '../core/call/call-session.js';
import { summariseLatency } from '../core/call/turn-latency.js';
import type { EngineChange } from '../core/ports/engine.js';
import { addUsage, type EngineName, type EngineUsage } from '../core/shared/engines.js';
import type { Log } from '../core/shared/logging.js';

/**
 * What a call cost and how it went, engine by engine: the segments each engine served (with their
 * token usage), how long a failover left the caller without an agent, and the turn latencies. Read
 * back as one `EngineUse` for the call session (one write per change).
 */
export class CallMeter {
  private readonly segments: EngineSegment[] = [];
  private readonly latencies: number[] = [];
  private failoverMs: number | undefined;
  /** Mid-call failover: when the old engine dropped, until the new one's first audio. */
  private droppedAt: number | undefined;

  constructor(private readonly now: () => number) {}

  /** A (new) engine serves the call. `connectStartedAt`: when the call's first engine start began. */
  engineChanged(change: EngineChange, connectStartedAt: number): void {
    const previous = this.segments.at(-1);
    if (previous) previous.endedAt = change.previous?.droppedAt ?? this.now();
    this.segments.push({ engine: change.engine, startedAt: change.at, endedAt: change.at });
    if (change.previous) this.droppedAt = change.previous.droppedAt;
    else if (change.startFailures) this.failoverMs = change.at - connectStartedAt;
  }

  get failover(): number | undefined {
    return this.failoverMs;
  }

  /** Agent audio reached the caller. Returns the failover time when it ends a mid-call switch. */
  agentAudio(): number | undefined {
    if (this.droppedAt === undefined) return undefined;
    this.failoverMs = this.now() - this.droppedAt;
    this.droppedAt = undefined;
    return this.failoverMs;
  }

  usage(usage: EngineUsage): void {
    const segment = this.segments.at(-1);
    if (!segment) return;
    segment.usage = segment.usage ? addUsage(segment.usage, usage) : { ...usage };
  }

  turnLatency(ms: number): void {
    this.latencies.push(ms);
  }

  get serving(): EngineName | undefined {
    return this.segments.at(-1)?.engine;
  }

  /** The segments so far (the current one up to now), failover time and turn latency. */
  use(): EngineUse | undefined {
    const current = this.segments.at(-1);
    if (!current) return undefined;
    current.endedAt = Math.max(current.endedAt, this.now());
    return {
      engineSegments: this.segments,
      failoverMs: this.failoverMs,
      turnLatency: summariseLatency(this.latencies),
    };
  }
}

/** Logs a failover the change records, and returns its reason for the call session (none at a clean start). */
export function describeEngineChange(
  change: EngineChange,
  chosen: EngineName,
  failoverMs: number | undefined,
  log: Log,
): string | undefined {
  if (change.previous) {
    const failoverReason = `${change.previous.engine}: ${change.previous.reason}`;
    log.warn('Failed over to another engine mid-call', {
      from: change.previous.engine,
      servedBy: change.engine,
      failoverReason,
    });
    return failoverReason;
  }
  if (change.startFailures) {
    log.warn('Failed over to another engine', {
      chosen,
      servedBy: change.engine,
      failoverReason: change.startFailures,
      failoverMs,
    });
    return change.startFailures;
  }
  return undefined;
}
