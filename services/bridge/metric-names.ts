/**
 * The custom-metric contract between the code and the infrastructure. The bridge publishes these
 * with CloudWatch embedded metrics (Powertools Metrics: namespace from POWERTOOLS_METRICS_NAMESPACE,
 * the default `service` dimension from POWERTOOLS_SERVICE_NAME, and no other dimension unless listed).
 * Auto-scaling, alarms and the dashboard read exactly these names and dimensions.
 */
export const METRICS_NAMESPACE = 'BoltVoice';

export const BRIDGE_METRICS = {
  /** Gauge, Count: calls this task holds now; emitted at least every 60 s. Scaling reads its Average. */
  activeCalls: 'ActiveCalls',
  /** Count: a call's stream was accepted and an engine session opened. */
  callsStarted: 'CallsStarted',
  /** Count, extra dimension `engine` (elevenlabs | openai): the engine that served a call. */
  engineCalls: 'EngineCalls',
  /** Count: the chosen engine could not be reached and the other one took the call. */
  engineFailovers: 'EngineFailovers',
  /** Milliseconds, extra dimension `engine`: caller stops speaking → first agent audio frame sent to Twilio. */
  turnLatency: 'TurnLatency',
} as const;

export { ENGINE_NAMES as ENGINES } from '../core/voice-engine.js';
