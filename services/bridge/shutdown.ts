/**
 * How the bridge task stops. ECS sends SIGTERM, then SIGKILL once the service's `stopTimeout`
 * (120 s, Fargate's maximum) has passed; everything here finishes well inside it: the calls are
 * wrapped up and hung up, what is still up is closed, the session writers flush, then the process
 * exits on its own. A call the kill still catches is left `streaming`, and the finalisation sweeper
 * finalises it as a callback due.
 */
import type { EventEmitter } from 'node:events';
import { logger } from '../core/shared/logging.js';
import { COUNTED_LOG_MESSAGES } from '../core/shared/metric-names.js';
import type { Bridge } from './server.js';

export interface ShutdownTimeline {
  /** SIGTERM → each live call's agent has this long to say goodbye before it is hung up. */
  wrapUpMs: number;
  /** SIGTERM → calls still up are closed (the hang-up after a goodbye takes up to 30 s more). */
  closeAfterMs: number;
  /** SIGTERM → the process exits even with writes still failing: before ECS's kill at 120 s. */
  exitAfterMs: number;
}

export const SHUTDOWN_TIMELINE: ShutdownTimeline = {
  wrapUpMs: 30_000,
  closeAfterMs: 70_000,
  exitAfterMs: 110_000,
};

/** The log line of a rejection nobody handled (a metric filter can count it). */
export const UNHANDLED_REJECTION_MESSAGE = COUNTED_LOG_MESSAGES.unhandledRejection;

export interface ProcessHandlerDeps {
  bridge: Pick<Bridge, 'shutdown' | 'activeCalls'>;
  /** Stops what else the process runs (the listening socket, timers, scale-in protection). */
  stopServing: () => Promise<void>;
  exit: (code: number) => void;
  timeline?: ShutdownTimeline;
}

/**
 * Registers the bridge's process handlers on `events` (the process): SIGTERM runs `shutDown`; a
 * stray promise rejection is logged instead of ending the process, and with it every call on it.
 */
export function installProcessHandlers(
  events: Pick<EventEmitter, 'on' | 'once'>,
  deps: ProcessHandlerDeps,
): void {
  events.once('SIGTERM', () => void shutDown(deps));
  events.on('unhandledRejection', (reason: unknown) => {
    logger.error(UNHANDLED_REJECTION_MESSAGE, {
      error: reason instanceof Error ? reason : new Error(String(reason)),
    });
  });
}

/** Stops taking streams, wraps up and ends the live calls, flushes their writes, then exits. */
export async function shutDown(deps: ProcessHandlerDeps): Promise<void> {
  const timeline = deps.timeline ?? SHUTDOWN_TIMELINE;
  logger.info('SIGTERM: new streams are refused; live calls are wrapped up and ended', {
    activeCalls: deps.bridge.activeCalls(),
    ...timeline,
  });
  const deadline = setTimeout(() => {
    logger.error('Stop deadline: exiting with calls or session writes left', {
      activeCalls: deps.bridge.activeCalls(),
    });
    deps.exit(1);
  }, timeline.exitAfterMs);
  deadline.unref();
  await deps.bridge.shutdown(timeline);
  await deps.stopServing();
  clearTimeout(deadline);
  logger.info('Bridge stopped: every call ended and its writes flushed');
  deps.exit(0);
}
