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
} as const;

/** Published by the Lambdas (service `bolt-voice-<stage>`). */
export const FUNCTION_METRICS = {
  /** Seconds, no extra dimension: age of the oldest call not yet finalised (the finalisation sweeper). */
  oldestUnfinalisedCallAge: 'OldestUnfinalisedCallAge',
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
} as const;

export const REFUSAL_LOG_MESSAGES = {
  twilioWebhookSignature: 'Refused a Twilio webhook: missing or invalid signature',
  postCallWebhookSignature: 'Refused a post-call webhook',
  streamSignature: 'Refused a media-stream upgrade with a missing or wrong X-Twilio-Signature',
} as const;
