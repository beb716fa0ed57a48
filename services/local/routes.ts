/**
 * Every webhook route the local stack serves, built in one table keyed by the manifest's route ids,
 * so a route the manifest gains and the local stack lacks fails to compile. The handlers are the
 * Lambdas' own factories over the local dependencies.
 */
import { createCallStatusHandler } from '../../functions/call-status.js';
import type { HttpHandler } from '../../functions/commons/http.js';
import { createDialResultHandler } from '../../functions/dial-result.js';
import { createInboundCallHandler } from '../../functions/inbound-call.js';
import { createInboundSmsHandler } from '../../functions/inbound-sms.js';
import { createOutboundTwimlHandler } from '../../functions/outbound-twiml.js';
import type { PlaceCallHandler } from '../../functions/place-call.js';
import { createPostCallHandler } from '../../functions/post-call.js';
import { createTwilioFallbackHandler } from '../../functions/twilio-fallback.js';
import { createWhisperHandler } from '../../functions/whisper.js';
import type { Crm } from '../core/ports/crm.js';
import { routeKey, WEBHOOK_ROUTES, type WebhookRouteId } from '../core/shared/routes.js';
import type { afterCallDepsFor } from '../wiring/parts/after-call.js';
import type { BusinessAdapters } from '../wiring/parts/business-adapters.js';
import type { LocalStackContext } from './stack.js';

/** Route id → handler: every route of the manifest. */
export type LocalWebhookRoutes = Record<WebhookRouteId, HttpHandler>;

/** The routes of a call's arrival, which need nothing but the stack itself. */
export type CallArrivalRouteId = 'InboundCall' | 'TwilioFallback';

/** What the after-call and outbound routes run on, besides the stack. */
export interface LocalRouteDeps {
  adapters: Pick<BusinessAdapters, 'crm' | 'mailer'>;
  afterCall: ReturnType<typeof afterCallDepsFor>;
  placeCall: PlaceCallHandler;
  now: () => number;
}

/** The call-arrival routes: all a stack started on its own serves (its tests, a bare stack). */
export function callArrivalRoutes(
  context: LocalStackContext,
  crm?: Pick<Crm, 'findCustomerByPhone'>,
): Pick<LocalWebhookRoutes, CallArrivalRouteId> {
  const { config } = context;
  return {
    InboundCall: createInboundCallHandler({ ...context, crm }),
    TwilioFallback: createTwilioFallbackHandler({
      publicUrl: config.publicUrl,
      twilio: config.twilio,
      businessName: config.business.name,
    }),
  };
}

/** The whole table, as the local application mounts it. */
export function localWebhookRoutes(context: LocalStackContext, deps: LocalRouteDeps): LocalWebhookRoutes {
  const { config, stores } = context;
  const { adapters, afterCall, now } = deps;
  return {
    ...callArrivalRoutes(context, adapters.crm),
    CallStatus: createCallStatusHandler({ config, finalise: afterCall, now }),
    PostCall: createPostCallHandler({ config, postCall: afterCall, now }),
    OutboundTwiml: createOutboundTwimlHandler({
      config,
      sessions: stores.sessions,
      requests: stores.outboundRequests,
      now,
    }),
    PlaceCall: deps.placeCall.http,
    DialResult: createDialResultHandler({ config, sessions: stores.sessions }),
    Whisper: createWhisperHandler({ config, sessions: stores.sessions }),
    InboundSms: createInboundSmsHandler({
      config,
      crm: adapters.crm,
      mailer: adapters.mailer,
      ownerEmail: config.ownerEmail,
      business: { name: config.business.name, timezone: config.business.timezone },
      now,
    }),
  };
}

/** Route id → handler, keyed as the server routes them (`'POST /twilio/inbound'` …). */
export function byRouteKey(routes: Partial<LocalWebhookRoutes>): Record<string, HttpHandler> {
  return Object.fromEntries(
    (Object.entries(routes) as Array<[WebhookRouteId, HttpHandler]>).map(([id, handler]) => [
      routeKey(WEBHOOK_ROUTES[id]),
      handler,
    ]),
  );
}
