import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isValidTwilioStreamUpgrade } from '../adapters/twilio/webhook-signature.js';
import { ENGINE_OUTAGE } from '../core/call/call-session.js';
import { logger } from '../core/shared/logging.js';
import { REFUSAL_LOG_MESSAGES } from '../core/shared/metric-names.js';
import { type Engines, failoverSelection } from './engines.js';
import { LiveCall, type LiveCallDeps } from './live-call.js';

/** Twilio media frames are small (a 20 ms frame is ~300 bytes of JSON); anything bigger is refused. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Twilio sends `connected` then `start` at once; a socket that has not sent `start` by now is not a
 * call (it would otherwise hold a slot and the task's scale-in protection for up to an hour).
 */
export const STREAM_START_TIMEOUT_MS = 10_000;
/**
 * Sockets waiting for `start` at once; past this, upgrades are refused (503). The handshake signature
 * is the same for every connection, so whoever has seen one could otherwise open sockets without end.
 * Twilio's `start` follows its handshake within milliseconds: real calls barely wait here.
 */
export const MAX_PENDING_STREAMS = 32;

export interface BridgeDeps extends LiveCallDeps {
  /** The engines configured; each call gets them as one failover composite, its chosen one first. */
  engines: Engines;
  /** Bound on each engine's start, at call start and on a mid-call switch (ENGINE_CONNECT_TIMEOUT_MS). */
  engineConnectTimeoutMs: number;
  authToken: string;
  /** The public `wss://…/media-stream` URL Twilio signs the handshake with. */
  streamUrl: string;
  /** Told whenever the number of live calls changes (scale-in protection, metrics). */
  onActiveCallsChanged?: (activeCalls: number) => void;
  /** Default `STREAM_START_TIMEOUT_MS`. */
  streamStartTimeoutMs?: number;
  /** Default `MAX_PENDING_STREAMS`. */
  maxPendingStreams?: number;
}

export interface Bridge {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Calls whose `start` arrived: what scale-in protection, `ActiveCalls` and `/health` count. */
  activeCalls(): number;
  /** Sockets that have not sent `start` yet: not calls (closed after the start timeout). */
  pendingStreams(): number;
  /** Stops taking new streams; resolves when every live call has ended on its own. */
  drain(): Promise<void>;
  /** Ends every call now and stops. */
  close(): Promise<void>;
  /**
   * The production stop (SIGTERM): refuses new streams, asks each live call to wrap up (the agent
   * says goodbye, the call is hung up after `wrapUpMs`), closes what is still up at `closeAfterMs`,
   * and resolves once every call is done (its session writes flushed).
   */
  shutdown(timing: { wrapUpMs: number; closeAfterMs: number }): Promise<void>;
}

/**
 * The end reason of a call the stopping bridge had to close: the stream just ends, so Twilio plays
 * the apology after `<Connect>` and its callback promise; the owner is told to call back.
 */
export const SHUTDOWN_CLOSED_REASON = `${ENGINE_OUTAGE}: the bridge stopped before the call could end`;

/**
 * The media-stream bridge: accepts Twilio's signed WebSocket upgrade on `/media-stream` and runs one
 * `LiveCall` per stream. The HTTP server around it belongs to the caller (the bridge container or
 * the local stack), so both serve the very same bridge.
 */
export function createBridge(deps: BridgeDeps): Bridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const calls = new Set<LiveCall>();
  /** Accepted sockets before their `start`: they hold no protection and count as no call. */
  const pending = new Set<LiveCall>();
  const maxPending = deps.maxPendingStreams ?? MAX_PENDING_STREAMS;
  let draining = false;
  let drained: (() => void) | undefined;
  const engineFor = failoverSelection(deps.engines, {
    connectTimeoutMs: deps.engineConnectTimeoutMs,
    now: deps.now,
  });

  const changed = () => {
    deps.onActiveCallsChanged?.(calls.size);
    settled();
  };
  // A socket still waiting may yet start a call: a drain waits for it too.
  const settled = () => {
    if (draining && calls.size === 0 && pending.size === 0) drained?.();
  };

  return {
    handleUpgrade(request, socket, head) {
      const reject = (status: number, text: string) => {
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      if (draining) return reject(503, 'Service Unavailable');
      const header = request.headers['x-twilio-signature'];
      const signature = typeof header === 'string' ? header : undefined;
      if (!isValidTwilioStreamUpgrade({ authToken: deps.authToken, signature, streamUrl: deps.streamUrl })) {
        logger.warn(REFUSAL_LOG_MESSAGES.streamSignature, {
          hasSignature: signature !== undefined,
        });
        return reject(401, 'Unauthorized');
      }
      if (pending.size >= maxPending) {
        logger.warn('Refused a media stream: too many sockets are waiting for their start', {
          pending: pending.size,
        });
        return reject(503, 'Service Unavailable');
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        const call = new LiveCall(ws, deps, engineFor);
        pending.add(call);
        // Registered after LiveCall's own listener, so `started` already reflects this frame.
        const onFrame = () => {
          if (!call.started) return;
          ws.off('message', onFrame);
          pending.delete(call);
          calls.add(call);
          changed();
        };
        ws.on('message', onFrame);
        const startTimer = setTimeout(() => {
          if (call.started) return; // `start` arrived: the call's own rules apply from here
          logger.warn('Closed a media stream that sent no start in time', {
            timeoutMs: deps.streamStartTimeoutMs ?? STREAM_START_TIMEOUT_MS,
          });
          call.shutdown('no-start');
        }, deps.streamStartTimeoutMs ?? STREAM_START_TIMEOUT_MS);
        void call.done.then(() => {
          clearTimeout(startTimer);
          ws.off('message', onFrame);
          pending.delete(call);
          if (calls.delete(call)) changed();
          else settled();
        });
      });
    },
    activeCalls: () => calls.size,
    pendingStreams: () => pending.size,
    drain() {
      draining = true;
      if (calls.size === 0 && pending.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
    async shutdown({ wrapUpMs, closeAfterMs }) {
      draining = true;
      const live = [...calls];
      for (const call of live) call.wrapUp('bridge-shutdown', wrapUpMs);
      const closing = setTimeout(() => {
        for (const call of calls) call.shutdown(SHUTDOWN_CLOSED_REASON);
      }, closeAfterMs);
      await Promise.all(live.map((call) => call.done));
      clearTimeout(closing);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    async close() {
      draining = true;
      const open = [...calls, ...pending].map((call) => {
        call.shutdown('bridge-shutdown');
        return call.done;
      });
      await Promise.all(open);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
