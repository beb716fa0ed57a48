import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { HouseFunction } from './house-function.js';

/**
 * How a route is authorised. `signed-by-caller`: open at API Gateway, the handler verifies the
 * caller's signature (X-Twilio-Signature, or the ElevenLabs HMAC) before any side effect.
 */
export type RouteAuthorization = 'iam' | 'signed-by-caller';

export interface FunctionSpec {
  /** Construct id; stable, because it names the function's resources. */
  readonly id: string;
  readonly entry: string;
  readonly description: string;
  readonly route?: {
    readonly method: 'POST';
    readonly path: string;
    readonly authorization: RouteAuthorization;
  };
  readonly table: 'read' | 'readWrite';
  /** Reads the provider flag (chooses the engine for a new call). */
  readonly readsProviderFlag: boolean;
  /** Creates one-time callback schedules that invoke this same function. */
  readonly createsCallbacks?: boolean;
  /** The daily-digest schedule's target. */
  readonly dailyDigest?: boolean;
  /** The finalisation sweeper's rate schedule target. */
  readonly finalisationSweep?: boolean;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

/**
 * Every Lambda of the system, in one place: its route (DESIGN §3 Routes), entry, and what it may
 * touch. Every function also reads the secret and gets the shared settings. Twilio waits 15 s for
 * a webhook, so the call-path functions get more memory (faster cold start) and a short timeout.
 */
export const FUNCTION_TABLE = [
  {
    id: 'InboundCall',
    entry: 'functions/inbound-call.ts',
    description: 'Twilio inbound call webhook: session + TwiML that connects the media stream',
    route: { method: 'POST', path: '/twilio/inbound', authorization: 'signed-by-caller' },
    table: 'readWrite',
    readsProviderFlag: true,
    memorySize: 1024,
    timeoutSeconds: 10,
  },
  {
    id: 'OutboundTwiml',
    entry: 'functions/outbound-twiml.ts',
    description: 'Twilio webhook for an answered outbound call: TwiML that connects the media stream',
    route: { method: 'POST', path: '/twilio/outbound', authorization: 'signed-by-caller' },
    table: 'readWrite',
    readsProviderFlag: false,
    memorySize: 1024,
    timeoutSeconds: 10,
  },
  {
    id: 'CallStatus',
    entry: 'functions/call-status.ts',
    description: 'Twilio call status callback: finalises a completed call into the CRM and emails the owner',
    route: { method: 'POST', path: '/twilio/status', authorization: 'signed-by-caller' },
    table: 'readWrite',
    readsProviderFlag: false,
    memorySize: 512,
    timeoutSeconds: 30,
  },
  {
    id: 'DialResult',
    entry: 'functions/dial-result.ts',
    description:
      "Twilio <Dial action> of a transfer: records whether the owner answered, tells the caller what's next",
    route: { method: 'POST', path: '/twilio/dial-result', authorization: 'signed-by-caller' },
    table: 'readWrite',
    readsProviderFlag: false,
    memorySize: 512,
    timeoutSeconds: 10,
  },
  {
    id: 'PostCall',
    entry: 'functions/post-call.ts',
    description: 'ElevenLabs post-call webhook (HMAC): merges the analysis into the call record',
    route: { method: 'POST', path: '/elevenlabs/post-call', authorization: 'signed-by-caller' },
    table: 'readWrite',
    readsProviderFlag: false,
    memorySize: 512,
    timeoutSeconds: 30,
  },
  {
    id: 'PlaceCall',
    entry: 'functions/place-call.ts',
    description: 'Places an outbound call now, or schedules it; also the target of those schedules',
    route: { method: 'POST', path: '/calls', authorization: 'iam' },
    table: 'readWrite',
    readsProviderFlag: true,
    createsCallbacks: true,
    memorySize: 512,
    timeoutSeconds: 15,
  },
  {
    id: 'DailyDigest',
    entry: 'functions/daily-digest.ts',
    description: "Emails the owner the day's calls, leads and appointments",
    // Writes: the day's marker (one digest per day) and the finalisations it retries first.
    table: 'readWrite',
    readsProviderFlag: false,
    dailyDigest: true,
    memorySize: 512,
    timeoutSeconds: 60,
  },
  {
    id: 'FinalisationSweep',
    entry: 'functions/finalisation-sweep.ts',
    description:
      'Every few minutes: finalises calls whose Twilio status callback never came, retries pending finalisations',
    // Reads the unfinalised index and sessions; writes finalisation state and session status.
    table: 'readWrite',
    readsProviderFlag: false,
    finalisationSweep: true,
    memorySize: 512,
    // Its own budget is 80% of the sweep interval; the timeout stays well under the 5-minute rate.
    timeoutSeconds: 240,
  },
] as const satisfies readonly FunctionSpec[];

export type FunctionId = (typeof FUNCTION_TABLE)[number]['id'];

export interface LambdaFunctionsProps {
  readonly stage: string;
  readonly table: ITableV2;
  readonly secret: ISecret;
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
    for (const spec of FUNCTION_TABLE as readonly FunctionSpec[]) {
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
        .bindTable(props.table, spec.table)
        .bindSecret(props.secret)
        .addEnvironments(props.environment);
      if (spec.readsProviderFlag) fn.bindParameter(props.providerFlag);
      byId[spec.id as FunctionId] = fn;
    }
    this.byId = byId as Record<FunctionId, HouseFunction>;
  }

  get all(): HouseFunction[] {
    return Object.values(this.byId);
  }

  /** The functions behind API routes, with their route. */
  routed(): Array<{ fn: HouseFunction; route: NonNullable<FunctionSpec['route']> }> {
    return (FUNCTION_TABLE as readonly FunctionSpec[]).flatMap((spec) =>
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

  get digestFunction(): HouseFunction {
    return this.onlyOne((s) => s.dailyDigest === true, 'dailyDigest');
  }

  private onlyOne(match: (spec: FunctionSpec) => boolean, what: string): HouseFunction {
    const found = (FUNCTION_TABLE as readonly FunctionSpec[]).filter(match);
    if (found.length !== 1 || !found[0]) throw new Error(`FUNCTION_TABLE must have exactly one ${what} row`);
    return this.byId[found[0].id as FunctionId];
  }
}
