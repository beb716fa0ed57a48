/**
 * The route manifest: every HTTP route of the system, written once as data. API Gateway's routes and
 * their Lambdas (lib/lambda-functions.ts), the URLs the handlers put in TwiML and give Twilio as
 * callbacks, the local stack's router (services/local/) and `npm run smoke` all read it, and
 * test/core/routes.test.ts checks that they agree.
 *
 * Adding a webhook route is one line here (a handler file exporting `handler`); lib gives it a
 * Lambda with the house defaults unless ROUTE_FUNCTION_SETTINGS in lib/lambda-functions.ts says otherwise
 * (a route's function gets no call-table access unless its row lists the actions it uses).
 */

/**
 * How a route is authorised. `twilio-signature` and `elevenlabs-hmac` are open at API Gateway: the
 * handler verifies the caller's signature before any side effect and answers 403 otherwise. `iam`:
 * API Gateway checks a SigV4 signature (the local stack: `Authorization: Bearer <CALLS_API_KEY>`).
 */
export type RouteAuth = 'twilio-signature' | 'elevenlabs-hmac' | 'iam';

export interface WebhookRoute {
  readonly method: 'POST';
  readonly path: `/${string}`;
  readonly auth: RouteAuth;
  /** Entry file (repository-relative) exporting the Lambda `handler`. */
  readonly handler: `functions/${string}.ts`;
}

/** Keyed by the id of the function that serves the route (also its construct id in lib/). */
// biome-ignore format: one route per line, so that adding a route is a one-line change.
export const WEBHOOK_ROUTES = {
  InboundCall:   { method: 'POST', path: '/twilio/inbound',       auth: 'twilio-signature', handler: 'functions/inbound-call.ts' },
  OutboundTwiml: { method: 'POST', path: '/twilio/outbound',      auth: 'twilio-signature', handler: 'functions/outbound-twiml.ts' },
  CallStatus:    { method: 'POST', path: '/twilio/status',        auth: 'twilio-signature', handler: 'functions/call-status.ts' },
  DialResult:    { method: 'POST', path: '/twilio/dial-result',   auth: 'twilio-signature', handler: 'functions/dial-result.ts' },
  Whisper:       { method: 'POST', path: '/twilio/whisper',       auth: 'twilio-signature', handler: 'functions/whisper.ts' },
  InboundSms:    { method: 'POST', path: '/twilio/sms',           auth: 'twilio-signature', handler: 'functions/inbound-sms.ts' },
  PostCall:      { method: 'POST', path: '/elevenlabs/post-call', auth: 'elevenlabs-hmac',  handler: 'functions/post-call.ts' },
  PlaceCall:     { method: 'POST', path: '/calls',                auth: 'iam',              handler: 'functions/place-call.ts' },
  TwilioFallback: { method: 'POST', path: '/twilio/fallback',     auth: 'twilio-signature', handler: 'functions/twilio-fallback.ts' },
} as const satisfies Record<string, WebhookRoute>;

export type WebhookRouteId = keyof typeof WEBHOOK_ROUTES;

/** The bridge's own routes, behind the load balancer (and on the local stack's one port). */
export const BRIDGE_ROUTES = {
  /** `200 {"status":"ok"}`: the load balancer's health check, reachable through the listener (the call count is in metrics only). */
  health: { method: 'GET', path: '/health' },
  /** Twilio Media Streams WebSocket upgrade. */
  mediaStream: { method: 'GET', path: '/media-stream' },
} as const;

export interface LocalRoute {
  readonly method: 'GET' | 'POST';
  /** `:name` stands for one path segment (`/calls/:callSid`). */
  readonly path: `/${string}`;
}

/**
 * Routes only the local stack serves (its softphone and calls page, for a developer; no Lambda
 * behind them). Listed here so the local router still has no route the manifest lacks.
 */
// biome-ignore format: one route per line, so that adding a route is a one-line change.
export const LOCAL_ROUTES = {
  phonePage:       { method: 'GET',  path: '/phone' },
  phoneAsset:      { method: 'GET',  path: '/phone/assets/:file' },
  softphoneCall:   { method: 'POST', path: '/phone/calls' },
  softphoneEvents: { method: 'GET',  path: '/phone/calls/:callSid/events' },
  callsPage:       { method: 'GET',  path: '/calls' },
  callRecording:   { method: 'GET',  path: '/calls/:callSid/recording.wav' },
  callDetail:      { method: 'GET',  path: '/calls/:callSid' },
} as const satisfies Record<string, LocalRoute>;

export type LocalRouteId = keyof typeof LOCAL_ROUTES;

/** The `:name` segments of `route.path` taken from `path`, in order; undefined when it does not match. */
export function matchRoutePath(route: { readonly path: string }, path: string): string[] | undefined {
  const pattern = route.path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`).exec(path)?.slice(1);
}

/** `'POST /twilio/inbound'`: the route key API Gateway and the local router use. */
export function routeKey(route: { readonly method: string; readonly path: string }): string {
  return `${route.method} ${route.path}`;
}

/** The public URL of a route under a base URL without a trailing slash (PUBLIC_URL). */
export function routeUrl(baseUrl: string, route: { readonly path: string }): string {
  return `${baseUrl.replace(/\/+$/, '')}${route.path}`;
}

/** `[id, route]` pairs in manifest order. */
export function webhookRoutes(): Array<[WebhookRouteId, WebhookRoute]> {
  return Object.entries(WEBHOOK_ROUTES) as Array<[WebhookRouteId, WebhookRoute]>;
}
