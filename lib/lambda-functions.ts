import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  routeKey,
  type WebhookRoute,
  type WebhookRouteId,
  webhookRoutes,
} from '../services/core/shared/routes.js';
import { HouseFunction, type TableAccess } from './house-function.js';

export interface FunctionSettings {
  readonly description: string;
  /** What it may do on the call table; absent: no access at all (and no CALL_TABLE_NAME). */
  readonly table?: TableAccess;
  /** Reads the provider flag (chooses the engine for a new call). */
  readonly readsProviderFlag: boolean;
  /** Creates one-time callback schedules that invoke this same function. */
  readonly createsCallbacks?: boolean;
  /** The daily-digest schedule's target. */
  readonly dailyDigest?: boolean;
  /** The finalisation sweeper's rate schedule target. */
  readonly finalisationSweep?: boolean;
  /**
   * Writes call rows and owner emails (finalisation, its retries, the late analysis): links
   * recordings, and may send the integration webhook's event and ask for its retry.
   */
  readonly finalises?: boolean;
  /** Consumes the integration webhook's retry queue. */
  readonly webhookRetries?: boolean;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export interface FunctionSpec extends FunctionSettings {
  /** Construct id; stable, because it names the function's resources. */
  readonly id: string;
  readonly entry: string;
  readonly route?: WebhookRoute;
}

/**
 * Call-table access by what the code does (services/adapters/dynamodb/): reading a call record is a
 * Query of its partition; opening a session a conditional Put (then an Update on a retried webhook);
 * finalisation Puts its state and retry-list entry, Updates its steps, and deletes the entry when done.
 */
const FINALISES: TableAccess = {
  actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
  deletesPendingMarkers: true,
};

/** What a route's function gets unless ROUTE_FUNCTION_SETTINGS says otherwise. */
const ROUTE_DEFAULTS = {
  readsProviderFlag: false,
  memorySize: 512,
  timeoutSeconds: 30,
} as const satisfies Omit<FunctionSettings, 'description'>;

/**
 * The functions behind the routes of the manifest (services/core/shared/routes.ts), where they differ from
 * ROUTE_DEFAULTS. Twilio waits 15 s for a webhook, so the call-path functions get more memory
 * (faster cold start) and a short timeout.
 */
const ROUTE_FUNCTION_SETTINGS: { readonly [id in WebhookRouteId]?: Partial<FunctionSettings> } = {
  InboundCall: {
    description: 'Twilio inbound call webhook: session + TwiML that connects the media stream',
    // Opens the session (a conditional Put, an Update on Twilio's retry); reads nothing back.
    table: { actions: ['PutItem', 'UpdateItem'] },
    readsProviderFlag: true,
    memorySize: 1024,
    timeoutSeconds: 10,
  },
  OutboundTwiml: {
    description: 'Twilio webhook for an answered outbound call: TwiML that connects the media stream',
    // Reads the request and the session, opens the session, marks a voicemail ended.
    table: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'] },
    memorySize: 1024,
    timeoutSeconds: 10,
  },
  CallStatus: {
    description: 'Twilio call status callback: finalises a completed call into the CRM and emails the owner',
    table: FINALISES,
    finalises: true,
  },
  DialResult: {
    description:
      "Twilio <Dial action> of a transfer: records whether the owner answered, tells the caller what's next",
    table: { actions: ['UpdateItem'] },
    timeoutSeconds: 10,
  },
  Whisper: {
    description:
      'Twilio <Number url> of a warm transfer: tells the owner who is calling and why, press 1 to take it',
    // Reads the call's record (a Query of its partition): the customer and the transfer's reason.
    table: { actions: ['Query'] },
    timeoutSeconds: 10,
  },
  InboundSms: {
    description:
      'Twilio incoming text: kept in the CRM with the customer and their last call, forwarded to the owner',
    // The CRM and the mailer only: no call-table access.
    timeoutSeconds: 15,
  },
  PostCall: {
    description: 'ElevenLabs post-call webhook (HMAC): merges the analysis into the call record',
    // Stores the analysis, reads the call and its finalisation state, notes where the summary came from.
    table: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'] },
    finalises: true,
  },
  PlaceCall: {
    description: 'Places an outbound call now, or schedules it; also the target of those schedules',
    // The outbound request (Put, Get, lease Updates) and the call's session (Put; read back when a
    // stale lease is resolved from a call Twilio already has).
    table: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'] },
    readsProviderFlag: true,
    createsCallbacks: true,
    timeoutSeconds: 15,
  },
  TwilioFallback: {
    description:
      'Twilio fallback URL of the number: an apology and a callback promise when the inbound webhook fails',
    // No table, no flag, no CRM: it must work when they are what failed.
    timeoutSeconds: 5,
  },
};

/** Functions without a route (schedule targets). */
const UNROUTED_FUNCTIONS = [
  {
    id: 'DailyDigest',
    entry: 'functions/daily-digest.ts',
    description: "Emails the owner the day's calls, leads and appointments",
    // The day's marker (Get, Updates); counts the retry list, tidying finished entries from it; a
    // finalisation it retries may freeze the call's integration webhook event (Put).
    table: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'], deletesPendingMarkers: true },
    readsProviderFlag: false,
    dailyDigest: true,
    // It retries finalisations left pending, which write the call row and the owner email.
    finalises: true,
    memorySize: 512,
    timeoutSeconds: 60,
  },
  {
    id: 'FinalisationSweep',
    entry: 'functions/finalisation-sweep.ts',
    description:
      'Every few minutes: finalises calls whose Twilio status callback never came, retries pending finalisations',
    // Queries the unfinalised index, finalises (see FINALISES).
    table: FINALISES,
    readsProviderFlag: false,
    finalisationSweep: true,
    finalises: true,
    memorySize: 512,
    // Under the 5-minute rate; a run stops starting work 30 s before it (functions/finalisation-sweep.ts).
    timeoutSeconds: 240,
  },
  {
    id: 'WebhookRetry',
    entry: 'functions/webhook-retry.ts',
    description: 'Integration webhook retries: one attempt per message of the retry queue, once it is due',
    // Reads the delivery, claims it and records the attempt (Updates); nothing else of the table.
    table: { actions: ['GetItem', 'UpdateItem'] },
    readsProviderFlag: false,
    webhookRetries: true,
    memorySize: 256,
    // Ten messages of at most one 5 s attempt each.
    timeoutSeconds: 90,
  },
] as const satisfies readonly FunctionSpec[];

/**
 * Every Lambda of the system, in one place: its route (from the manifest), entry, and what it may
 * touch. Every function also reads the secret and gets the shared settings.
 */
export const FUNCTION_TABLE: readonly FunctionSpec[] = [
  ...webhookRoutes().map(
    ([id, route]): FunctionSpec => ({
      id,
      entry: route.handler,
      route,
      description: `${routeKey(route)} (${route.auth})`,
      ...ROUTE_DEFAULTS,
      ...ROUTE_FUNCTION_SETTINGS[id],
    }),
  ),
  ...UNROUTED_FUNCTIONS,
];

export type FunctionId = WebhookRouteId | (typeof UNROUTED_FUNCTIONS)[number]['id'];

export interface LambdaFunctionsProps {
  readonly stage: string;
  readonly table: ITableV2;
  readonly secret: ISecret;
  readonly secretName: string;
  readonly providerFlag: IStringParameter;
  /** Non-secret settings every function gets (business, phone number, URLs). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

/** Creates one house-default function per row of FUNCTION_TABLE and binds what the row asks for. */
export class LambdaFunctions extends Construct {
  public readonly byId: Readonly<Record<FunctionId, HouseFunction>>;
  public readonly specs: readonly FunctionSpec[] = FUNCTION_TABLE;

  constructor(scope: Construct, id: string, props: LambdaFunctionsProps) {
    super(scope, id);
    const byId: Partial<Record<FunctionId, HouseFunction>> = {};
    for (const spec of FUNCTION_TABLE) {
      const fn = new HouseFunction(this, spec.id, {
        entry: spec.entry,
        description: spec.description,
        serviceName: `bolt-voice-${props.stage}`,
        logRetention: props.logRetention,
        memorySize: spec.memorySize,
        timeout: Duration.seconds(spec.timeoutSeconds),
        // A callback schedule targets this function, and the function names itself as that target
        // (CALLBACK_TARGET_ARN): its ARN must be known before it exists, so it gets a fixed name.
        functionName: spec.createsCallbacks ? `bolt-voice-${props.stage}-${spec.id}` : undefined,
      })
        .bindSecret(props.secret, props.secretName)
        .addEnvironments(props.environment);
      if (spec.table) fn.bindTable(props.table, spec.table);
      if (spec.readsProviderFlag) fn.bindParameter(props.providerFlag);
      byId[spec.id as FunctionId] = fn;
    }
    this.byId = byId as Record<FunctionId, HouseFunction>;
  }

  get all(): HouseFunction[] {
    return Object.values(this.byId);
  }

  /** The functions behind API routes, with their route. */
  routed(): Array<{ fn: HouseFunction; route: WebhookRoute }> {
    return FUNCTION_TABLE.flatMap((spec) =>
      spec.route ? [{ fn: this.byId[spec.id as FunctionId], route: spec.route }] : [],
    );
  }

  /** The function that creates (and is invoked by) one-time callback schedules. */
  get callbackFunction(): HouseFunction {
    return this.onlyOne((s) => s.createsCallbacks === true, 'createsCallbacks');
  }

  get finalisationSweepFunction(): HouseFunction {
    return this.onlyOne((s) => s.finalisationSweep === true, 'finalisationSweep');
  }

  /** The functions that write call rows and owner emails: they link recordings and send webhook events. */
  get finalisers(): HouseFunction[] {
    return FUNCTION_TABLE.filter((s) => s.finalises === true).map((s) => this.byId[s.id as FunctionId]);
  }

  get webhookRetryFunction(): HouseFunction {
    return this.onlyOne((s) => s.webhookRetries === true, 'webhookRetries');
  }

  get digestFunction(): HouseFunction {
    return this.onlyOne((s) => s.dailyDigest === true, 'dailyDigest');
  }

  private onlyOne(match: (spec: FunctionSpec) => boolean, what: string): HouseFunction {
    const found = FUNCTION_TABLE.filter(match);
    if (found.length !== 1 || !found[0]) throw new Error(`FUNCTION_TABLE must have exactly one ${what} row`);
    return this.byId[found[0].id as FunctionId];
  }
}
