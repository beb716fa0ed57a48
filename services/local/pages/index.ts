/**
 * The local stack's own pages (never deployed): the softphone at `/phone` and the calls page at
 * `GET /calls` (`POST /calls` stays the outbound API). They hold every transcript and place calls
 * with real tools, so they answer only:
 * - requests made on this machine to a local host name, carrying no proxy header (`Forwarded`,
 *   `X-Forwarded-*`, `Via`): a tunnel or reverse proxy that rewrites Host still adds one;
 * - with this run's page key, as a cookie set by the link the start-up banner prints (`?key=`):
 *   a tunnel that adds no header (`ssh -R`) reaches the pages from 127.0.0.1 with `Host: localhost`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalRecordings } from '../../adapters/memory/local-recordings.js';
import { outboxMessageByKey } from '../../adapters/memory/outbox-mailer.js';
import type { CallSession } from '../../core/call/call-session.js';
import { ownerCallEmailKey } from '../../core/email/owner-email.js';
import type { CallSessionStore, FinalisationStore } from '../../core/ports/call-store.js';
import type { WebhookDeliveryStore } from '../../core/ports/webhooks.js';
import type { Config } from '../../core/shared/config.js';
import { logger } from '../../core/shared/logging.js';
import {
  LOCAL_ROUTES,
  type LocalRoute,
  type LocalRouteId,
  matchRoutePath,
  routeKey,
} from '../../core/shared/routes.js';
import type { LocalPages } from '../server.js';
import { isWebAsset, webAsset } from './assets.js';
import { type CallView, callView } from './call-view.js';
import { type CallWithEmail, callDetailPage, callsListPage } from './calls-page.js';
import { phonePage } from './phone-page.js';
import { Softphone } from './softphone.js';

export interface LocalPagesDeps {
  config: Config;
  sessions: Pick<CallSessionStore, 'get'>;
  finalisations: Pick<FinalisationStore, 'get'>;
  /** The newest call sessions in the call table. */
  recentSessions: (limit: number) => Promise<CallSession[]>;
  /** Whether owner emails go to the local outbox (no RESEND_API_KEY). */
  outbox: boolean;
  /** The integration webhook's deliveries (absent: none shown). */
  deliveries?: Pick<WebhookDeliveryStore, 'get'>;
  /** This run's page key (default: 32 random bytes); tests may fix it. */
  pageKey?: string;
}

export interface LocalPagesHandle extends LocalPages {
  /** What `?key=` must carry, once, to open the pages from a browser. */
  readonly pageKey: string;
  close(): void;
}

/** The cookie holding the page key: HttpOnly, SameSite=Strict, for this host. */
export const PAGE_KEY_COOKIE = 'bolt_local_key';
/** The pages a banner link may open with `?key=`. */
const LANDING_PAGES = new Set(['/phone', '/calls']);

/** The link that opens a local page with this run's key (`base`: how the banner spells the host). */
export function pageLinkFor(base: string, path: '/phone' | '/calls', pageKey: string): string {
  return `${base}${path}?key=${encodeURIComponent(pageKey)}`;
}

const CALLS_SHOWN = 100;
/** How often the softphone's event stream looks at the session. */
const EVENTS_POLL_MS = 200;
const SETTLE_MS = 2000;
const CALL_SID = /^CA[0-9a-f]{32}$/i;

export function createLocalPages(deps: LocalPagesDeps): LocalPagesHandle {
  const softphone = new Softphone({ config: deps.config, sessions: deps.sessions });
  const pageKey = deps.pageKey ?? randomBytes(32).toString('base64url');
  const timezone = deps.config.business.timezone;
  const recordings = new LocalRecordings(deps.config.recording.localDir, deps.config.publicUrl);

  async function loadCall(callSid: string): Promise<CallWithEmail | undefined> {
    const record = await deps.sessions.get(callSid);
    if (!record) return undefined;
    const final = await deps.finalisations.get(callSid);
    const view = callView(record, final);
    const recording = record.session.recording;
    const delivery = await deps.deliveries?.get(callSid);
    if (!deps.outbox) return { view, recording, delivery, ownerEmailNote: 'sent through Resend' };
    const email = await outboxMessageByKey(deps.config.localOutboxDir, ownerCallEmailKey(callSid));
    if (email) return { view, recording, delivery, ownerEmail: email, ownerEmailNote: '' };
    const note = !deps.config.ownerEmail
      ? 'none (OWNER_EMAIL is not set)'
      : final?.step === 'done' || final?.step === 'emailed'
        ? 'not in the outbox'
        : 'not sent yet';
    return { view, recording, delivery, ownerEmailNote: note };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, method: string) {
    const isPhone = path === '/phone' || path.startsWith('/phone/');
    const isCallsPage = method === 'GET' && (path === '/calls' || path.startsWith('/calls/'));
    if (!isPhone && !isCallsPage) return false;
    req.resume();
    if (!isLocalRequest(req)) {
      send(
        res,
        403,
        'text/plain',
        'The softphone and the calls page answer only on this machine (localhost), not through a proxy or tunnel.',
      );
      return true;
    }
    const given = new URL(req.url ?? '/', 'http://local').searchParams.get('key');
    if (given !== null && method === 'GET' && LANDING_PAGES.has(path)) {
      if (!sameSecret(given, pageKey)) {
        send(res, 403, 'text/plain', 'This link is from another run: open the one the local stack printed.');
        return true;
      }
      // The key goes into a cookie and out of the address bar (and so out of history and Referer).
      res.writeHead(303, {
        location: path,
        'set-cookie': `${PAGE_KEY_COOKIE}=${pageKey}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return true;
    }
    if (!sameSecret(cookie(req, PAGE_KEY_COOKIE) ?? '', pageKey)) {
      send(
        res,
        403,
        'text/plain',
        'Open the softphone or calls link the local stack printed at start-up: it carries this run’s key.',
      );
      return true;
    }

    for (const [id, route] of Object.entries(LOCAL_ROUTES) as Array<[LocalRouteId, LocalRoute]>) {
      const params = matchRoutePath(route, path);
      if (!params) continue;
      if (method !== route.method) return notAllowed(res, route.method);
      if (await pages[id](req, res, params)) return true;
      break;
    }
    send(res, 404, 'text/plain', 'No such call.');
    return true;
  }

  /** Each local route's page; false leaves the request to the 404 (a name that is no call or asset). */
  const pages: Record<
    LocalRouteId,
    (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<boolean>
  > = {
    phonePage: async (_req, res) => {
      html(res, phonePage(deps.config));
      return true;
    },
    phoneAsset: async (_req, res, [asset = '']) => {
      if (!/^[\w-]+\.js$/.test(asset) || !isWebAsset(asset)) return false;
      send(res, 200, 'text/javascript', await webAsset(asset));
      return true;
    },
    softphoneCall: async (req, res) => {
      if (!isSameOriginJson(req)) {
        // A JSON content type cannot be sent cross-site without a preflight, which nothing here answers:
        // another site open in the browser cannot set calls up (and so cannot send owner emails).
        send(res, 415, 'text/plain', 'Send Content-Type: application/json from this page.');
        return true;
      }
      const call = await softphone.startCall(`http://127.0.0.1:${req.socket.localPort}`);
      send(res, 201, 'application/json', JSON.stringify(call));
      return true;
    },
    softphoneEvents: async (req, res, [callSid = '']) => {
      if (!CALL_SID.test(callSid)) return false;
      await streamEvents(req, res, callSid);
      return true;
    },
    callsPage: async (_req, res) => {
      const sessions = await deps.recentSessions(CALLS_SHOWN);
      const calls = (await Promise.all(sessions.map((s) => loadCall(s.callSid)))).filter(
        (c): c is CallWithEmail => c !== undefined,
      );
      html(res, callsListPage(calls, timezone));
      return true;
    },
    callRecording: async (_req, res, [callSid = '']) => {
      const file = CALL_SID.test(callSid) ? await recordings.read(callSid) : undefined;
      if (!file) send(res, 404, 'text/plain', 'No recording for this call.');
      else {
        res.writeHead(200, {
          'content-type': 'audio/wav',
          'content-length': file.length,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(file);
      }
      return true;
    },
    callDetail: async (_req, res, [callSid = '']) => {
      const call = CALL_SID.test(callSid) ? await loadCall(callSid) : undefined;
      if (!call) return false;
      html(res, callDetailPage(call, timezone));
      return true;
    },
  };

  /**
   * Server-sent events of one call, read from the session store (what the bridge writes as the call
   * goes) and sent whenever it changed, until the call is finalised or the page goes away.
   */
  async function streamEvents(req: IncomingMessage, res: ServerResponse, callSid: string): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    let open = true;
    req.socket.once('close', () => {
      open = false;
    });
    let last = '';
    let doneAt: number | undefined;
    while (open) {
      const call = await loadCall(callSid);
      const view: CallView | undefined = call?.view;
      const json = view ? JSON.stringify(view) : '';
      if (json !== last) {
        res.write(`data: ${json}\n\n`);
        last = json;
      }
      // Finalisation marks the session last; should that write fail, `done` is enough after a moment.
      if (view?.finalisation === 'done') doneAt ??= Date.now();
      if (view?.status === 'finalised' || (doneAt !== undefined && Date.now() - doneAt > SETTLE_MS)) {
        res.write('event: done\ndata: {}\n\n');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, EVENTS_POLL_MS));
    }
    res.end();
  }

  return {
    async handle(req, res, path, method) {
      try {
        return await handle(req, res, path, method);
      } catch (error) {
        logger.error('A local page failed', { error: error as Error, path });
        if (!res.headersSent) send(res, 500, 'text/plain', `The page failed: ${(error as Error).message}`);
        else res.end();
        return true;
      }
    },
    prepareUpgrade(req) {
      if (!new URL(req.url ?? '/', 'http://local').searchParams.has('softphone')) return true;
      // The one-time ticket came from `POST /phone/calls`, which needs the page key.
      return isLocalRequest(req) && softphone.prepareUpgrade(req);
    },
    pageKey,
    routeKeys: Object.values(LOCAL_ROUTES).map(routeKey),
    close: () => softphone.close(),
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * From this machine (loopback), to a local host name (a tunnel forwards another Host), and not
 * relayed: a reverse proxy or tunnel that rewrites Host to `localhost` still says it forwarded.
 */
export function isLocalRequest(req: IncomingMessage): boolean {
  let host: string;
  try {
    host = new URL(`http://${req.headers.host ?? ''}`).hostname;
  } catch {
    return false;
  }
  return LOOPBACK.has(req.socket.remoteAddress ?? '') && LOCAL_HOSTS.has(host) && !relayed(req);
}

function relayed(req: IncomingMessage): boolean {
  return Object.keys(req.headers).some(
    (name) => name === 'forwarded' || name === 'via' || name.startsWith('x-forwarded-'),
  );
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isSameOriginJson(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    try {
      if (!LOCAL_HOSTS.has(new URL(origin).hostname)) return false;
    } catch {
      return false;
    }
  }
  return type === 'application/json';
}

function notAllowed(res: ServerResponse, allow: string): boolean {
  res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow });
  res.end('Method Not Allowed');
  return true;
}

function html(res: ServerResponse, body: string): void {
  send(res, 200, 'text/html', body);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
