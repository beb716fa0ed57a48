/**
 * The custom-metric contract between the code and the infrastructure, in one place: the bridge and
 * the Lambdas publish these names (CloudWatch embedded metrics through Powertools: namespace from
 * POWERTOOLS_METRICS_NAMESPACE, the default `service` dimension from POWERTOOLS_SERVICE_NAME, no
 * other dimension unless listed), the stack's metric filters count the log lines below, and
 * auto-scaling, the alarms and the dashboard (lib/) read exactly these names and dimensions.
 */
export const METRICS_NAMESPACE = 'BoltVoice';

export const METRIC_DIMENSIONS = {
  /** Every metric: POWERTOOLS_SERVICE_NAME (`bolt-voice-<stage>-bridge`, or `bolt-voice-<stage>` for Lambdas). */
  service: 'service',
  /** `elevenlabs` | `openai`, where a metric says so. */
  engine: 'engine',
} as const;

/** Published by the bridge (service `bolt-voice-<stage>-bridge`). */
export const BRIDGE_METRICS = {
  /** Gauge, Count: calls this task holds now; emitted at least every 60 s. Scaling reads its Average. */
  activeCalls: 'ActiveCalls',
  /** Count: a call's stream was accepted and an engine session opened. */
  callsStarted: 'CallsStarted',
  /** Count, extra dimension `engine`: the engine that served a call. */
  engineCalls: 'EngineCalls',
  /** Count: the chosen engine could not be reached and the other one took the call. */
  engineFailovers: 'EngineFailovers',
  /** Count: neither engine could take a call (the caller heard the apology). */
  callsWithoutEngine: 'CallsWithoutEngine',
  /** Milliseconds, extra dimension `engine`: caller stops speaking → first agent audio frame sent to Twilio. */
  turnLatency: 'TurnLatency',
  /** Count, extra dimension `engine`: the caller interrupted the agent (its reply stopped for good). */
  bargeIns: 'BargeIns',
  /** Count, extra dimension `engine`: speech over the agent paused it, then proved a backchannel (resumed). */
  falseInterruptions: 'FalseInterruptions',
  /** Count, extra dimension `engine`: a caller turn with words never answered (must stay 0: alarmed). */
  turnsSwallowed: 'TurnsSwallowed',
  /** Count, extra dimension `engine`: the engine froze (no pings, no answer) and the call failed over. */
  engineStalls: 'EngineStalls',
} as const;

/** Published by the Lambdas (service `bolt-voice-<stage>`). */
export const FUNCTION_METRICS = {
  /** Seconds, no extra dimension: age of the oldest call not yet finalised (the finalisation sweeper). */
  oldestUnfinalisedCallAge: 'OldestUnfinalisedCallAge',
  /**
   * Count, no extra dimension: a call answered with stream TwiML whose stream never reached the
   * bridge (Twilio could not connect: DNS, certificate, security group). Counted once, when the call
   * is finalised, by the status callback or the sweeper.
   */
  streamsNeverConnected: 'StreamsNeverConnected',
} as const;

/**
 * Counted from log lines by metric filters (no dimension): each names the exact `message` of the
 * log lines it counts, and the code logs these same constants, so a reworded message cannot
 * silently blind the alarm.
 */
export const LOG_METRICS = {
  /** A Twilio or ElevenLabs webhook refused for its signature (likely a wrong PUBLIC_URL or token). */
  webhookSignatureRefusals: 'WebhookSignatureRefusals',
  /** A media-stream upgrade refused for its X-Twilio-Signature (likely a wrong STREAM_URL or token). */
  streamSignatureRefusals: 'StreamSignatureRefusals',
  /** A bridge task could not switch its scale-in protection on (a stop would not wait for its calls). */
  taskProtectionFailures: 'TaskProtectionFailures',
  /** Twilio used the number's fallback URL: the inbound webhook failed and the caller got the apology. */
  fallbackAnswers: 'FallbackAnswers',
  /** The webhook API refused a request with 429 (its throttle), from the API's access log. */
  apiThrottled: 'ApiThrottled',
  /** The bridge set aside a call-session write DynamoDB refused for good (that record is lost). */
  sessionWritesSetAside: 'SessionWritesSetAside',
  /** A promise rejection nobody handled in the bridge (logged, not fatal: a bug to find). */
  bridgeUnhandledRejections: 'BridgeUnhandledRejections',
} as const;

export const REFUSAL_LOG_MESSAGES = {
  twilioWebhookSignature: 'Refused a Twilio webhook: missing or invalid signature',
  postCallWebhookSignature: 'Refused a post-call webhook',
  streamSignature: 'Refused a media-stream upgrade with a missing or wrong X-Twilio-Signature',
} as const;

/** Other log lines the stack counts (same rule: the code logs these constants). */
export const COUNTED_LOG_MESSAGES = {
  taskProtectionNotSet: 'Could not switch ECS task scale-in protection on',
  fallbackAnswered: 'The inbound webhook failed: Twilio used the fallback URL',
  sessionWriteSetAside: 'A call session write was refused for good: set aside, later writes go on',
  unhandledRejection: 'A promise rejection nobody handled: logged, the calls go on',
} as const;
