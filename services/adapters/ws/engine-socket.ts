import WebSocket from 'ws';
import {
  type EngineEndReason,
  type EngineListener,
  type EngineSession,
  type EngineStall,
  EngineStartError,
} from '../../core/ports/engine.js';
import type { EngineName } from '../../core/shared/engines.js';
import type { Log } from '../../core/shared/logging.js';

/**
 * Before the first pong, silence may last this many times `stallAfterMs`: a service (or a proxy in
 * front of it) that does not answer WebSocket pings must not look frozen in every quiet moment.
 */
const UNPROVEN_PING_FACTOR = 3;

/** Liveness once ready: a WebSocket ping this often; no pong and no message for `stallAfterMs` is a freeze. */
export interface KeepaliveTimings {
  pingIntervalMs: number;
  stallAfterMs: number;
}

export type ServerMessageHandler = (data: WebSocket.RawData, isBinary: boolean) => void;

export interface EngineSocketOptions {
  engine: EngineName;
  /** How the logs name the vendor (`ElevenLabs`, `OpenAI Realtime`). */
  vendor: string;
  /** What the vendor calls a server message (`message`, `event`), in a keepalive stall's detail. */
  messageWord: string;
  /** The server message that makes the engine ready, named when the connect timeout aborts the start. */
  readyMessage: string;
  url: string;
  headers?: Record<string, string>;
  /** Aborts the start (the connect timeout, or the caller hanging up); ignored once ready. */
  signal: AbortSignal;
  log: Log;
  listener: EngineListener;
  keepalive: KeepaliveTimings;
  /**
   * Checked with each keepalive tick: the vendor's own liveness signal stopped although the socket
   * answers. Returns the stall's detail, or undefined while all is well.
   */
  vendorStall?: (now: number) => string | undefined;
}

/**
 * Starts one engine session over a WebSocket: connects with the abort signal bounding the start,
 * routes server messages to the vendor's handshake until it calls `ready`, then keeps the session
 * alive (pings, stall detection) and cleans up the socket, its listeners and every timer on each
 * way out: a failed start, a stall, giving up, the server closing, or `close`.
 *
 * `begin` runs once, before the socket opens (a server may send its first message with the
 * handshake), with the link the vendor's session is built on; it returns the handler of the
 * messages that arrive before ready.
 */
export function startEngineSocket(
  options: EngineSocketOptions,
  begin: (link: EngineLink) => ServerMessageHandler,
): Promise<EngineSession> {
  const { engine, signal } = options;
  if (signal.aborted) return Promise.reject(new EngineStartError(engine, 'aborted before connecting'));
  let socket: WebSocket;
  try {
    socket = new WebSocket(options.url, {
      headers: options.headers,
      // No per-message deflate: base64 audio barely compresses, and each socket's zlib state costs memory.
      perMessageDeflate: false,
    });
  } catch (error) {
    return Promise.reject(new EngineStartError(engine, `cannot connect: ${(error as Error).message}`));
  }
  return new Promise<EngineSession>((resolve, reject) => {
    const link = new EngineLink(socket, options, resolve, reject);
    link.listen(begin(link));
  });
}

/**
 * A deadline the engine must meet (an answer it owes), judged after the I/O already received is
 * read: if our own event loop was held up, an event waiting in the socket still counts.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly expired: () => void) {}

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Starts the deadline `ms` from now, replacing any running one. */
  arm(ms: number): void {
    clearTimeout(this.timer);
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (this.timer !== timer) return;
          this.timer = undefined;
          this.expired();
        }),
      ms,
    );
    this.timer = timer;
  }

  cancel(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** One engine socket's lifecycle: starting, then ready, then closed (once, whichever way). */
export class EngineLink {
  private state: 'starting' | 'ready' | 'closed' = 'starting';
  private heardAt = Date.now();
  private pongSeen = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly watchdogs: Watchdog[] = [];

  constructor(
    readonly socket: WebSocket,
    private readonly options: EngineSocketOptions,
    private readonly resolve: (session: EngineSession) => void,
    private readonly reject: (error: EngineStartError) => void,
  ) {
    options.signal.addEventListener('abort', this.onAbort, { once: true });
    socket.on('pong', () => {
      this.heardAt = Date.now();
      this.pongSeen = true;
    });
    socket.on('unexpected-response', (_request, response) => {
      this.fail(`socket refused with HTTP ${response.statusCode}`);
    });
    socket.on('error', (error) => {
      if (this.state === 'starting') this.fail(`socket error: ${error.message}`);
      else if (this.state === 'ready')
        options.log.warn(`${options.vendor} socket error`, { error: error.message });
    });
    socket.on('close', (code, reason) => this.onServerClose(code, reason.toString()));
  }

  /** When the server was last heard (a pong or any message): the clock read for the message in hand. */
  get lastHeardAt(): number {
    return this.heardAt;
  }

  /** Closed by us or by the server, stalled, or failed to start: nothing more is sent or reported. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Routes server messages (anything heard shows the engine is alive). */
  listen(handler: ServerMessageHandler): void {
    this.socket.removeAllListeners('message');
    this.socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.state === 'closed') return;
      this.heardAt = Date.now();
      handler(data, isBinary);
    });
  }

  /** A deadline that is cleared with the session, whichever way it ends. */
  watchdog(expired: () => void): Watchdog {
    const watchdog = new Watchdog(expired);
    this.watchdogs.push(watchdog);
    return watchdog;
  }

  /** Sends a message if the socket is open; false when it is not. */
  send(message: string): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(message);
    return true;
  }

  /** The handshake is done: `start` resolves with `session`, and `onMessage` takes the server's messages. */
  ready(session: EngineSession, onMessage: ServerMessageHandler): void {
    if (this.state !== 'starting') return;
    this.state = 'ready';
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.listen(onMessage);
    this.heardAt = Date.now();
    this.keepaliveTimer = setInterval(this.checkAliveSoon, this.options.keepalive.pingIntervalMs);
    // The first at once: its pong shows early that the service answers pings.
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
    this.resolve(session);
  }

  /** The start failed: the socket is dropped at once, whatever state it is in, and `start` rejects. */
  fail(reason: string): void {
    if (this.state !== 'starting') return;
    this.shutDown();
    this.socket.removeAllListeners();
    // Keep a listener: terminating a CONNECTING socket emits an error that must not go unhandled.
    this.socket.on('error', () => {});
    this.socket.terminate();
    this.reject(new EngineStartError(this.options.engine, reason));
  }

  /** The engine froze: its socket is dropped, and the failover composite replaces it. */
  stall(stall: EngineStall, detail: string): void {
    this.giveUp({ kind: 'engine-stalled', stall, detail });
  }

  /** Ends a ready session on our side for `reason`, and reports it. */
  giveUp(reason: Exclude<EngineEndReason, { kind: 'engine-closed' }>): void {
    if (this.state !== 'ready') return;
    this.shutDown();
    const { log, vendor } = this.options;
    if (reason.kind === 'engine-stalled') {
      log.error(`${vendor} engine stalled`, { stall: reason.stall, detail: reason.detail });
      // A frozen server would not answer a closing handshake either.
      this.socket.terminate();
    } else {
      log.error(`Giving up on ${vendor}`, { detail: reason.detail });
      this.socket.close(1000);
    }
    this.options.listener.ended(reason);
  }

  /** Ends the session (close 1000); idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.shutDown();
    const { readyState } = this.socket;
    if (readyState === WebSocket.OPEN || readyState === WebSocket.CONNECTING) this.socket.close(1000);
  }

  private readonly onAbort = (): void =>
    this.fail(`no ${this.options.readyMessage} before the connect timeout`);

  private onServerClose(code: number, reason: string): void {
    if (this.state === 'starting') {
      this.fail(`socket closed before ready (code ${code}${reason ? `: ${reason}` : ''})`);
      return;
    }
    if (this.state === 'closed') return;
    this.shutDown();
    this.options.log.info(`${this.options.vendor} session closed by the server`, { code, reason });
    this.options.listener.ended({ kind: 'engine-closed', code, detail: reason || undefined });
  }

  // Judged after the I/O already received is read: if our own event loop was held up, a pong or a
  // message waiting in the socket still counts.
  private readonly checkAliveSoon = (): void => {
    setImmediate(this.checkAlive);
  };

  private readonly checkAlive = (): void => {
    if (this.state !== 'ready') return;
    const now = Date.now();
    const silentMs = now - this.heardAt;
    const { keepalive, messageWord, vendorStall } = this.options;
    // Until a pong shows that the service answers our pings, silence is judged more leniently.
    if (silentMs >= keepalive.stallAfterMs * (this.pongSeen ? 1 : UNPROVEN_PING_FACTOR)) {
      this.stall('keepalive', `no pong or ${messageWord} for ${silentMs} ms`);
      return;
    }
    const vendorDetail = vendorStall?.(now);
    if (vendorDetail) {
      this.stall('keepalive', vendorDetail);
      return;
    }
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  };

  private shutDown(): void {
    this.state = 'closed';
    this.options.signal.removeEventListener('abort', this.onAbort);
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    for (const watchdog of this.watchdogs) watchdog.cancel();
  }
}
